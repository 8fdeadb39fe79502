import { columns, type GoalStatus, kpiPeriodValueSql, Prisma, periodBoundsSql, type Query, sql } from "@northstar/db";

// A goal with its linked KPIs as clients get it, as two hand-written statements (read in one
// snapshot with read.batch, or one after the other in a write's transaction).
//
// What a linked KPI's value is for a goal: its value for the current calendar month of the
// workspace's time zone (the dashboard's default period), as its aggregation adds up. A SUM KPI
// (signups, deploys) counts this month's total so far against its target, so "50 deploys" is met
// once this month has 50; AVERAGE this month's mean; MIN / MAX this month's extreme; LAST the
// newest value, however old (a level such as MRR holds until it changes). A KPI without points
// this month (AVERAGE, SUM, MIN, MAX) has no value and counts as 0 toward the goal.
export const goalPeriod = "month" as const;

/**
 * The fields of a goal and of its links that clients see, as a Prisma select (for its row type):
 * the statements below read the same fields, a linked KPI's currentValue being its goalPeriod value.
 */
export const goalSelect = {
  id: true,
  title: true,
  description: true,
  targetDate: true,
  status: true,
  createdAt: true,
  updatedAt: true,
  kpiLinks: {
    select: {
      id: true,
      weight: true,
      criterion: true,
      kpi: {
        select: {
          id: true,
          name: true,
          unit: true,
          direction: true,
          aggregation: true,
          targetValue: true,
          currentValue: true,
          isActive: true,
        },
      },
    },
    orderBy: { kpi: { name: "asc" } },
  },
} satisfies Prisma.GoalSelect;

export type GoalListRow = Prisma.GoalGetPayload<{ select: typeof goalSelect }>;
/** A goal's own fields, as the goals statement answers them (the links statement answers the rest). */
type GoalFields = Omit<GoalListRow, "kpiLinks">;
type GoalLinkRow = GoalListRow["kpiLinks"][number];
type LinkedKpi = GoalLinkRow["kpi"];

/** A link as its statement answers it: flat, with its goal's id and the KPI's fields as kpiName etc. */
type FlatLink = Omit<GoalLinkRow, "kpi"> & { goalId: string } & {
  [Field in keyof LinkedKpi as `kpi${Capitalize<Field>}`]: LinkedKpi[Field];
};

// goalSelect's fields as columns, one each (the compiler checks); a date reads as UTC midnight, as Prisma reads it.
const goalColumns = columns({
  id: "g.id::text",
  title: "g.title",
  description: "g.description",
  targetDate: "(g.target_date::timestamp AT TIME ZONE 'UTC')",
  status: "g.status::text",
  createdAt: "g.created_at",
  updatedAt: "g.updated_at",
} satisfies Record<keyof GoalFields, string>);

const linkColumns = columns({
  goalId: "gk.goal_id::text",
  id: "gk.id::text",
  weight: "gk.weight",
  criterion: "gk.criterion::text",
  kpiId: "k.id::text",
  kpiName: "k.name",
  kpiUnit: "k.unit",
  kpiDirection: "k.direction::text",
  kpiAggregation: "k.aggregation::text",
  kpiTargetValue: "k.target_value",
  kpiIsActive: "k.is_active",
} satisfies Record<Exclude<keyof FlatLink, "kpiCurrentValue">, string>);

export interface GoalFilter {
  workspaceId: string;
  /** Only these statuses; null: every status but those in `excluded`. */
  statuses: readonly GoalStatus[] | null;
  excluded: readonly GoalStatus[];
  goalId?: string;
  /** The instant the goal period is taken at (the API's clock). */
  now: Date;
}

function goalConditions(filter: GoalFilter, alias: Prisma.Sql): Prisma.Sql {
  const conditions = [Prisma.sql`${alias}.workspace_id = ${filter.workspaceId}::uuid`];
  if (filter.statuses) conditions.push(Prisma.sql`${alias}.status::text = ANY(${[...filter.statuses]}::text[])`);
  else if (filter.excluded.length > 0)
    conditions.push(Prisma.sql`${alias}.status::text <> ALL(${[...filter.excluded]}::text[])`);
  if (filter.goalId) conditions.push(Prisma.sql`${alias}.id = ${filter.goalId}::uuid`);
  return Prisma.join(conditions, " AND ");
}

/** [goals, their links]: pass both answers to assembleGoals. The links carry each KPI's value for goalPeriod. */
export function goalListQueries(filter: GoalFilter): [Query<GoalFields>, Query<FlatLink>] {
  const goals = sql<GoalFields>`
    SELECT ${goalColumns}
      FROM goals AS g
     WHERE ${goalConditions(filter, Prisma.raw("g"))}
     ORDER BY g.target_date ASC NULLS LAST, g.title ASC`;
  const k = Prisma.raw("k");
  const links = sql<FlatLink>`
    SELECT ${linkColumns},
           ${kpiPeriodValueSql(k, Prisma.sql`b.period_start`, Prisma.sql`b.at`)} AS "kpiCurrentValue"
      FROM goal_kpis AS gk
      JOIN goals AS g ON g.workspace_id = gk.workspace_id AND g.id = gk.goal_id
      JOIN kpis AS k ON k.workspace_id = gk.workspace_id AND k.id = gk.kpi_id
     CROSS JOIN (${periodBoundsSql(filter.workspaceId, goalPeriod, filter.now)}) AS b
     WHERE gk.workspace_id = ${filter.workspaceId}::uuid AND ${goalConditions(filter, Prisma.raw("g"))}
     ORDER BY k.name ASC`;
  return [goals, links];
}

export function assembleGoals(goals: readonly GoalFields[], links: readonly FlatLink[]): GoalListRow[] {
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
        aggregation: link.kpiAggregation,
        targetValue: link.kpiTargetValue,
        currentValue: link.kpiCurrentValue,
        isActive: link.kpiIsActive,
      },
    });
  }
  return goals.map((goal) => ({ ...goal, kpiLinks: byGoal.get(goal.id) ?? [] }));
}
