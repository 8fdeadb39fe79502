import { type GoalCriterion, type GoalStatus, type KpiDirection, Prisma, type Query, sql } from "@northstar/db";

// Goals with their linked KPIs as two hand-written statements for the one-round-trip reader
// (read in one snapshot with read.batch); the same shape as the Prisma select the writes use.

export interface GoalLinkRow {
  id: string;
  weight: number;
  criterion: GoalCriterion;
  kpi: {
    id: string;
    name: string;
    unit: string;
    direction: KpiDirection;
    targetValue: number | null;
    currentValue: number | null;
    isActive: boolean;
  };
}

export interface GoalListRow {
  id: string;
  title: string;
  description: string;
  targetDate: Date | null;
  status: GoalStatus;
  createdAt: Date;
  updatedAt: Date;
  kpiLinks: GoalLinkRow[];
}

interface FlatLink {
  goalId: string;
  id: string;
  weight: number;
  criterion: GoalCriterion;
  kpiId: string;
  kpiName: string;
  kpiUnit: string;
  kpiDirection: KpiDirection;
  kpiTargetValue: number | null;
  kpiCurrentValue: number | null;
  kpiIsActive: boolean;
}

export interface GoalFilter {
  workspaceId: string;
  /** Only these statuses; null: every status but those in `excluded`. */
  statuses: readonly GoalStatus[] | null;
  excluded: readonly GoalStatus[];
  goalId?: string;
}

function goalConditions(filter: GoalFilter, alias: Prisma.Sql): Prisma.Sql {
  const conditions = [Prisma.sql`${alias}.workspace_id = ${filter.workspaceId}::uuid`];
  if (filter.statuses) conditions.push(Prisma.sql`${alias}.status::text = ANY(${[...filter.statuses]}::text[])`);
  else if (filter.excluded.length > 0)
    conditions.push(Prisma.sql`${alias}.status::text <> ALL(${[...filter.excluded]}::text[])`);
  if (filter.goalId) conditions.push(Prisma.sql`${alias}.id = ${filter.goalId}::uuid`);
  return Prisma.join(conditions, " AND ");
}

/** [goals, their links]: pass both answers of read.batch to assembleGoals. */
export function goalListQueries(filter: GoalFilter): [Query<Omit<GoalListRow, "kpiLinks">>, Query<FlatLink>] {
  const goals = sql<Omit<GoalListRow, "kpiLinks">>`
    SELECT g.id::text AS id, g.title, g.description,
           (g.target_date::timestamp AT TIME ZONE 'UTC') AS "targetDate",
           g.status::text AS status, g.created_at AS "createdAt", g.updated_at AS "updatedAt"
      FROM goals AS g
     WHERE ${goalConditions(filter, Prisma.raw("g"))}
     ORDER BY g.target_date ASC NULLS LAST, g.title ASC`;
  const links = sql<FlatLink>`
    SELECT gk.goal_id::text AS "goalId", gk.id::text AS id, gk.weight, gk.criterion::text AS criterion,
           k.id::text AS "kpiId", k.name AS "kpiName", k.unit AS "kpiUnit", k.direction::text AS "kpiDirection",
           k.target_value AS "kpiTargetValue", k.current_value AS "kpiCurrentValue", k.is_active AS "kpiIsActive"
      FROM goal_kpis AS gk
      JOIN goals AS g ON g.workspace_id = gk.workspace_id AND g.id = gk.goal_id
      JOIN kpis AS k ON k.workspace_id = gk.workspace_id AND k.id = gk.kpi_id
     WHERE gk.workspace_id = ${filter.workspaceId}::uuid AND ${goalConditions(filter, Prisma.raw("g"))}
     ORDER BY k.name ASC`;
  return [goals, links];
}

export function assembleGoals(
  goals: readonly Omit<GoalListRow, "kpiLinks">[],
  links: readonly FlatLink[],
): GoalListRow[] {
  const byGoal = new Map<string, GoalLinkRow[]>(goals.map((goal) => [goal.id, []]));
  for (const link of links) {
    byGoal.get(link.goalId)?.push({
      id: link.id,
      weight: link.weight,
      criterion: link.criterion,
      kpi: {
        id: link.kpiId,
        name: link.kpiName,
        unit: link.kpiUnit,
        direction: link.kpiDirection,
        targetValue: link.kpiTargetValue,
        currentValue: link.kpiCurrentValue,
        isActive: link.kpiIsActive,
      },
    });
  }
  return goals.map((goal) => ({ ...goal, kpiLinks: byGoal.get(goal.id) ?? [] }));
}
