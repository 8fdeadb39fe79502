import { columns, type Plan, Prisma, type Query, sql } from "@northstar/db";

// A KPI as clients get it, and the KPI list as one hand-written statement for the one-round-trip
// reader (kpi.list is the dashboard's hottest read): the same fields, order and cursor as Prisma's.

/** The fields of a KPI that clients see: Prisma's reads select them, and the list statement reads the same. */
export const kpiSelect = {
  id: true,
  name: true,
  description: true,
  unit: true,
  category: true,
  direction: true,
  aggregation: true,
  targetValue: true,
  currentValue: true,
  currentValueAt: true,
  isActive: true,
  archivedAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.KpiSelect;

export type KpiListRow = Prisma.KpiGetPayload<{ select: typeof kpiSelect }>;

// kpiSelect's fields as columns of `kpis AS k`, one each (the compiler checks), named as Prisma names them.
const kpiColumns = columns({
  id: "k.id::text",
  name: "k.name",
  description: "k.description",
  unit: "k.unit",
  category: "k.category",
  direction: "k.direction::text",
  aggregation: "k.aggregation::text",
  targetValue: "k.target_value",
  currentValue: "k.current_value",
  currentValueAt: "k.current_value_at",
  isActive: "k.is_active",
  archivedAt: "k.archived_at",
  createdAt: "k.created_at",
  updatedAt: "k.updated_at",
} satisfies Record<keyof KpiListRow, string>);

export interface KpiListFilter {
  workspaceId: string;
  status: "active" | "archived" | "all";
  category?: string | undefined;
  search?: string | undefined;
  /** Only this KPI. */
  id?: string | undefined;
  /** The last KPI of the previous page. */
  cursor?: string | undefined;
  /** Rows to read (a page and one more, to know whether another page follows). */
  take: number;
}

/** `search` as a LIKE pattern that matches it literally anywhere in the name. */
function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export function kpiListQuery(filter: KpiListFilter): Query<KpiListRow> {
  const conditions = [Prisma.sql`k.workspace_id = ${filter.workspaceId}::uuid`];
  if (filter.status !== "all") conditions.push(Prisma.sql`k.is_active = ${filter.status === "active"}`);
  if (filter.id) conditions.push(Prisma.sql`k.id = ${filter.id}::uuid`);
  if (filter.category) conditions.push(Prisma.sql`k.category = ${filter.category}`);
  if (filter.search) conditions.push(Prisma.sql`k.name ILIKE ${containsPattern(filter.search)}`);
  if (filter.cursor) {
    conditions.push(
      Prisma.sql`(k.name, k.id) > (SELECT c.name, c.id FROM kpis AS c
        WHERE c.workspace_id = ${filter.workspaceId}::uuid AND c.id = ${filter.cursor}::uuid)`,
    );
  }
  return sql<KpiListRow>`
    SELECT ${kpiColumns}
      FROM kpis AS k
     WHERE ${Prisma.join(conditions, " AND ")}
     ORDER BY k.name, k.id
     LIMIT ${filter.take}`;
}

/** What a chart needs before its points: the KPI, its workspace's plan and its data version. */
export type KpiChartHeadRow = KpiListRow & { plan: Plan | null; version: string | null };

/**
 * The KPI `kpiId` (archived or not) with app.workspace_plan() and its kpi_data_versions row, as one
 * statement: three statements in one snapshot answered the same, and each cost the database and
 * the host a statement's overhead on every chart. No row: not a KPI the caller can see.
 */
export function kpiChartHeadQuery(workspaceId: string, kpiId: string): Query<KpiChartHeadRow> {
  return sql<KpiChartHeadRow>`
    SELECT ${kpiColumns}, app.workspace_plan()::text AS plan, v.version::text AS version
      FROM kpis AS k
      LEFT JOIN kpi_data_versions AS v ON v.workspace_id = k.workspace_id AND v.kpi_id = k.id
     WHERE k.workspace_id = ${workspaceId}::uuid AND k.id = ${kpiId}::uuid`;
}
