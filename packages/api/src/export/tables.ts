import { columns, Prisma, type Query, sql } from "@northstar/db";

// What a workspace export holds: one entry per table the workspace owns, each with the columns it
// carries (named as in the database, so the export reads like the schema) and one keyset-paged
// statement. The pages are read in the workspace's context under row-level security, like every
// API read; the explicit workspace filter is what lets the (workspace_id, id) primary key serve
// each page, row-level security is what keeps it honest.
//
// Left out on purpose: integration credentials (sealed to the sync worker's key: the host cannot
// open them and they never leave it), the worker's lease and sync cursor (its own bookkeeping),
// invitation and session tokens (hashed secrets; invitations carry none any more, sessions are
// not the workspace's), and of the members' users only their public fields (id, name, email).

/** A value as the reader decodes it: text, uuid and enums as strings, float8 and int4 as numbers, timestamptz as Date, jsonb as JSON. */
export type ExportValue = Date | Prisma.JsonValue;

export type ExportRow = Record<string, ExportValue>;

export interface ExportTable {
  /** The database table: the JSON document's key and the CSV file's name. */
  name: string;
  /** Column names, in order (the CSV header). */
  columns: readonly string[];
  /** The next page: rows after `after` (an id; null: from the start), in id order. */
  page(after: string | null, limit: number): Query<ExportRow>;
}

/**
 * A table of the workspace: `select` maps each exported column to its expression over `t` (the
 * table) and whatever `from` joins; pages go by `t.id`, within `t.workspace_id` unless `scope`
 * says otherwise.
 */
function table(
  name: string,
  from: Prisma.Sql,
  select: Readonly<Record<string, string>>,
  scope?: (workspaceId: string) => Prisma.Sql,
): (workspaceId: string) => ExportTable {
  const selectList = columns(select);
  return (workspaceId) => {
    const within = scope ? scope(workspaceId) : Prisma.sql`t.workspace_id = ${workspaceId}::uuid`;
    return {
      name,
      columns: Object.keys(select),
      page: (after, limit) => sql<ExportRow>`
        SELECT ${selectList}
          FROM ${from}
         WHERE ${within}${after === null ? Prisma.empty : Prisma.sql` AND t.id > ${after}::uuid`}
         ORDER BY t.id
         LIMIT ${limit}`,
    };
  };
}

const tables = [
  table(
    "workspaces",
    Prisma.sql`workspaces AS t`,
    {
      id: "t.id::text",
      name: "t.name",
      slug: "t.slug",
      time_zone: "t.time_zone",
      created_at: "t.created_at",
      updated_at: "t.updated_at",
    },
    (workspaceId) => Prisma.sql`t.id = ${workspaceId}::uuid`,
  ),
  // Members with their users' public fields; row-level security shows the users of the context workspace only.
  table("workspace_users", Prisma.sql`workspace_users AS t JOIN users AS u ON u.id = t.user_id`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    user_id: "t.user_id::text",
    user_name: "u.name",
    user_email: "u.email",
    role: "t.role::text",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  table("invitations", Prisma.sql`invitations AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    email: "t.email",
    role: "t.role::text",
    invited_by_id: "t.invited_by_id::text",
    status: "t.status::text",
    responded_at: "t.responded_at",
    expires_at: "t.expires_at",
    created_at: "t.created_at",
  }),
  // Without token_hash: the key itself was shown once and is not the workspace's to take along.
  table("api_keys", Prisma.sql`api_keys AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    name: "t.name",
    public_id: "t.public_id",
    scopes: "t.scopes::text[]",
    created_by: "t.created_by::text",
    created_at: "t.created_at",
    last_used_at: "t.last_used_at",
    revoked_at: "t.revoked_at",
  }),
  table("kpis", Prisma.sql`kpis AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    name: "t.name",
    description: "t.description",
    unit: "t.unit",
    category: "t.category",
    direction: "t.direction::text",
    aggregation: "t.aggregation::text",
    target_value: "t.target_value",
    current_value: "t.current_value",
    current_value_at: "t.current_value_at",
    is_active: "t.is_active",
    archived_at: "t.archived_at",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  table("kpi_data_points", Prisma.sql`kpi_data_points AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    kpi_id: "t.kpi_id::text",
    value: "t.value",
    timestamp: "t.timestamp",
    source: "t.source::text",
    integration_id: "t.integration_id::text",
    created_at: "t.created_at",
  }),
  table("goals", Prisma.sql`goals AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    title: "t.title",
    description: "t.description",
    // A calendar date: as text, never shifted by a time zone.
    target_date: "t.target_date::text",
    status: "t.status::text",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  table("goal_kpis", Prisma.sql`goal_kpis AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    goal_id: "t.goal_id::text",
    kpi_id: "t.kpi_id::text",
    weight: "t.weight",
    criterion: "t.criterion::text",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  // Without credentials, credentials_key_id, lease_token, lease_expires_at and sync_cursor (see above).
  table("integrations", Prisma.sql`integrations AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    provider: "t.provider",
    name: "t.name",
    config: "t.config",
    sync_status: "t.sync_status::text",
    sync_started_at: "t.sync_started_at",
    last_synced_at: "t.last_synced_at",
    last_attempt_at: "t.last_attempt_at",
    next_sync_at: "t.next_sync_at",
    sync_interval_seconds: "t.sync_interval_seconds",
    consecutive_failures: "t.consecutive_failures",
    last_error_code: "t.last_error_code",
    last_error_message: "t.last_error_message",
    last_error_at: "t.last_error_at",
    auth_failed_at: "t.auth_failed_at",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  table("integration_metrics", Prisma.sql`integration_metrics AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    integration_id: "t.integration_id::text",
    metric_key: "t.metric_key",
    kpi_id: "t.kpi_id::text",
    created_at: "t.created_at",
    updated_at: "t.updated_at",
  }),
  table("sync_runs", Prisma.sql`sync_runs AS t`, {
    workspace_id: "t.workspace_id::text",
    id: "t.id::text",
    integration_id: "t.integration_id::text",
    status: "t.status::text",
    started_at: "t.started_at",
    finished_at: "t.finished_at",
    points_written: "t.points_written",
    error_code: "t.error_code",
    error_message: "t.error_message",
  }),
  // Subscriptions belong to users, not workspaces: the exporting owner's own (row-level security
  // shows no one else's). The workspace's plan, which its owners' subscriptions decide, is in the
  // document's header.
  table(
    "subscriptions",
    Prisma.sql`subscriptions AS t`,
    {
      id: "t.id::text",
      user_id: "t.user_id::text",
      plan: "t.plan::text",
      status: "t.status::text",
      billing_period: "t.billing_period::text",
      current_period_start: "t.current_period_start",
      current_period_end: "t.current_period_end",
      cancel_at_period_end: "t.cancel_at_period_end",
      external_customer_id: "t.external_customer_id",
      external_subscription_id: "t.external_subscription_id",
      created_at: "t.created_at",
      updated_at: "t.updated_at",
    },
    () => Prisma.sql`t.user_id = (SELECT app.current_user_id())`,
  ),
];

/** Every table of the export, in the order the document and the archive list them. */
export function exportTables(workspaceId: string): ExportTable[] {
  return tables.map((build) => build(workspaceId));
}

/** What the export leaves out and why, said in the file itself (the JSON header, the archive's README.txt). */
export const exportNotes: readonly string[] = [
  "Integration credentials are not in this export: they are sealed to the sync worker's key and never leave it. Reconnecting an integration elsewhere takes the credentials again.",
  "Left out as internal bookkeeping: the sync worker's lease (lease_token, lease_expires_at), its sync cursor and the id of the key credentials are sealed with.",
  "API keys are listed without their secret (token_hash): a key is shown once, when it is created, and is stored only hashed.",
  "Chart rollups (kpi_rollups_hourly, kpi_rollups_daily) and the charts' data versions (kpi_data_versions) are not here: they are sums of kpi_data_points, which are, and are rebuilt from them.",
  "Of each member's user account only the public fields are here (user_id, user_name, user_email); sessions and sign-in accounts are not the workspace's.",
  "subscriptions lists the exporting owner's own subscriptions; the workspace's plan, decided by its owners' subscriptions, is the header's plan.",
  "Each table is read in pages in id order; rows written while the export runs may or may not be included.",
];
