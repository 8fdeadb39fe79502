import { type KpiDirection, Prisma, type Query, sql } from "@northstar/db";

// The KPI list as one hand-written statement for the one-round-trip reader (kpi.list is the
// dashboard's hottest read). Same columns, order and cursor as the Prisma select it replaces.

export interface KpiListRow {
  id: string;
  name: string;
  description: string;
  unit: string;
  category: string;
  direction: KpiDirection;
  targetValue: number | null;
  currentValue: number | null;
  currentValueAt: Date | null;
  isActive: boolean;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

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
      Prisma.sql`(k.name, k.id) > (SELECT c.name, c.id FROM kpis AS c WHERE c.workspace_id = ${filter.workspaceId}::uuid AND c.id = ${filter.cursor}::uuid)`,
    );
  }
  return sql<KpiListRow>`
    SELECT k.id::text AS id, k.name, k.description, k.unit, k.category, k.direction::text AS direction,
           k.target_value AS "targetValue", k.current_value AS "currentValue", k.current_value_at AS "currentValueAt",
           k.is_active AS "isActive", k.archived_at AS "archivedAt", k.created_at AS "createdAt", k.updated_at AS "updatedAt"
      FROM kpis AS k
     WHERE ${Prisma.join(conditions, " AND ")}
     ORDER BY k.name, k.id
     LIMIT ${filter.take}`;
}
