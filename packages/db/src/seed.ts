import pg from "pg";
import { credentialsBinding, parsePublicKeyring, type PublicKeyring, seal } from "./credentials.ts";
import { prng } from "./prng.ts";

// Development data: two workspaces with overlapping members (every role present), a dozen KPIs
// with 90 days of history, goals, integrations connected to the worker's built-in demo source
// (so that a first `pnpm dev` syncs for real), and subscriptions.
// Idempotent: fixed ids, upserts that rewrite only rows whose content differs, one transaction,
// values from a seeded PRNG, so a second run on the same day writes nothing. The history ends at
// UTC midnight of `now`: on a later day the window slides (values rewritten, points of the seed
// that fell out of the window removed; points someone added by hand are left alone).
// Ids carry explicit numbers, not list positions, so adding an entry never renumbers the others.

export interface SeedOptions {
  /** The history ends at UTC midnight of this instant. Default: now. */
  now?: Date;
  /** Where the worker serves its demo source (WORKER_DEMO_SOURCE). Default: the dev worker's, on 127.0.0.1:9464. */
  demoSourceUrl?: string;
  /** The public key (keyId:base64) the seeded integrations' credentials are sealed to. Default: the development one. */
  credentialsPublicKey?: string;
}

/**
 * The development key pair's public half: apps/web's dev script seals to it, and the worker's dev
 * environment opens with its private half (apps/worker's `developmentPrivateKey`). Not a secret.
 */
export const developmentCredentialsPublicKey = "dev-box:MCowBQYDK2VuAyEAx9inGF7rhOGsvQL1YfWKzionzZvOpSFZZCLsWdTxtV8=";
export const defaultDemoSourceUrl = "http://127.0.0.1:9464/demo";

export interface SeedSummary {
  users: number;
  workspaces: number;
  memberships: number;
  kpis: number;
  dataPoints: number;
  goals: number;
  goalKpis: number;
  integrations: number;
  integrationMetrics: number;
  subscriptions: number;
  /** Rows inserted, changed or removed by this run: 0 when the database already held the seed. */
  written: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
// Recognisable, valid UUIDs: 5eed<kind>-0000-4000-8000-<number>.
const seedId = (kind: number, n: number) => `5eed${hex(kind, 4)}-0000-4000-8000-${hex(n, 12)}`;
// A data point's id: its KPI's number and its minute, so the same point keeps the same id.
const pointIdPrefix = (kpiNumber: number) => `5eed0100-${hex(kpiNumber, 4)}`;

const users = {
  ada: { n: 1, name: "Ada Lovelace" },
  grace: { n: 2, name: "Grace Hopper" },
  alan: { n: 3, name: "Alan Turing" },
  katherine: { n: 4, name: "Katherine Johnson" },
  linus: { n: 5, name: "Linus Torvalds" },
  margaret: { n: 6, name: "Margaret Hamilton" },
  barbara: { n: 7, name: "Barbara Liskov" },
};
export type SeededUser = keyof typeof users;
const userKeys = Object.keys(users) as SeededUser[];
export const seededUserIds = Object.fromEntries(userKeys.map((key) => [key, seedId(1, users[key].n)])) as Record<
  SeededUser,
  string
>;
export const seededEmail = (key: SeededUser) => `${key}@example.com`;

type WorkspaceKey = "acme" | "globex";
export const seededWorkspaceIds: Record<WorkspaceKey, string> = { acme: seedId(2, 1), globex: seedId(2, 2) };

// Ada is in both workspaces; Barbara has just signed up and is in none.
const memberships: [WorkspaceKey, SeededUser, "OWNER" | "ADMIN" | "MEMBER" | "VIEWER"][] = [
  ["acme", "ada", "OWNER"],
  ["acme", "grace", "ADMIN"],
  ["acme", "alan", "MEMBER"],
  ["acme", "katherine", "VIEWER"],
  ["globex", "linus", "OWNER"],
  ["globex", "margaret", "ADMIN"],
  ["globex", "ada", "MEMBER"],
];

const integrationNumbers = { billing: 1, deploys: 2, revenueFeed: 3, sessions: 4 };
type IntegrationKey = keyof typeof integrationNumbers;
const integrationId = (key: IntegrationKey) => seedId(7, integrationNumbers[key]);
export const seededIntegrationIds = Object.fromEntries(
  (Object.keys(integrationNumbers) as IntegrationKey[]).map((key) => [key, integrationId(key)]),
) as Record<IntegrationKey, string>;

interface SeedKpi {
  n: number;
  workspace: WorkspaceKey;
  name: string;
  unit: string;
  category: string;
  lowerIsBetter?: boolean;
  /** How its points add up over a period: counts and amounts SUM, rates AVERAGE, levels LAST. */
  aggregation: "SUM" | "AVERAGE" | "LAST";
  /** A SUM KPI's target is per month (goal progress counts the current month's total). */
  target: number;
  hourly?: boolean;
  /** The trend runs from `from` at the first point of the window to `to` at the last. */
  from: number;
  to: number;
  /** Relative size of the noise, and of the weekday and time-of-day rhythms. */
  noise: number;
  weekly?: number;
  daily?: number;
  decimals: number;
  /** Fed by this seeded integration: its history comes from the demo source, not from the seed. */
  integration?: IntegrationKey;
  /** The series stops this many days before the end (a broken feed, an archived KPI). */
  stopsDaysAgo?: number;
  archived?: boolean;
}

const kpis: SeedKpi[] = [
  {
    n: 1,
    workspace: "acme",
    name: "Monthly recurring revenue",
    unit: "USD",
    category: "Revenue",
    aggregation: "LAST",
    target: 120_000,
    from: 82_000,
    to: 104_000,
    noise: 0.01,
    decimals: 0,
    integration: "billing",
  },
  {
    n: 2,
    workspace: "acme",
    name: "Churn rate",
    unit: "%",
    category: "Revenue",
    lowerIsBetter: true,
    aggregation: "AVERAGE",
    target: 2,
    from: 3.4,
    to: 2.6,
    noise: 0.08,
    decimals: 2,
  },
  {
    n: 3,
    workspace: "acme",
    name: "New signups",
    unit: "signups",
    category: "Growth",
    aggregation: "SUM",
    target: 10_000,
    from: 280,
    to: 390,
    noise: 0.12,
    weekly: 0.25,
    decimals: 0,
  },
  {
    n: 4,
    workspace: "acme",
    name: "Activation rate",
    unit: "%",
    category: "Growth",
    aggregation: "AVERAGE",
    target: 45,
    from: 36,
    to: 41,
    noise: 0.04,
    decimals: 1,
  },
  {
    n: 5,
    workspace: "acme",
    name: "API p95 latency",
    unit: "ms",
    category: "Product",
    lowerIsBetter: true,
    aggregation: "AVERAGE",
    target: 250,
    hourly: true,
    from: 310,
    to: 240,
    noise: 0.1,
    daily: 0.2,
    decimals: 0,
  },
  {
    n: 6,
    workspace: "acme",
    name: "Open support tickets",
    unit: "tickets",
    category: "Support",
    lowerIsBetter: true,
    aggregation: "LAST",
    target: 40,
    hourly: true,
    from: 65,
    to: 48,
    noise: 0.08,
    daily: 0.15,
    decimals: 0,
  },
  {
    n: 7,
    workspace: "acme",
    name: "First response time",
    unit: "min",
    category: "Support",
    lowerIsBetter: true,
    aggregation: "AVERAGE",
    target: 30,
    hourly: true,
    from: 48,
    to: 36,
    noise: 0.15,
    daily: 0.3,
    decimals: 1,
  },
  {
    n: 8,
    workspace: "acme",
    name: "Deploys",
    unit: "deploys",
    category: "Engineering",
    aggregation: "SUM",
    target: 200,
    from: 4,
    to: 8,
    noise: 0.3,
    weekly: 0.7,
    decimals: 0,
    integration: "deploys",
  },
  {
    n: 9,
    workspace: "globex",
    name: "Revenue",
    unit: "EUR",
    category: "Revenue",
    aggregation: "SUM",
    target: 1_500_000,
    from: 41_000,
    to: 47_500,
    noise: 0.05,
    weekly: 0.2,
    decimals: 0,
    integration: "revenueFeed",
  },
  {
    n: 10,
    workspace: "globex",
    name: "Trial conversion",
    unit: "%",
    category: "Growth",
    aggregation: "AVERAGE",
    target: 18,
    from: 14,
    to: 16.5,
    noise: 0.06,
    decimals: 1,
  },
  {
    n: 11,
    workspace: "globex",
    name: "Website sessions",
    unit: "sessions",
    category: "Growth",
    aggregation: "SUM",
    target: 650_000,
    from: 18_000,
    to: 21_000,
    noise: 0.06,
    weekly: 0.3,
    decimals: 0,
    integration: "sessions",
  },
  {
    n: 12,
    workspace: "globex",
    name: "Weekly active users",
    unit: "users",
    category: "Product",
    aggregation: "LAST",
    target: 12_000,
    from: 8_600,
    to: 10_400,
    noise: 0.02,
    weekly: 0.05,
    decimals: 0,
  },
  {
    n: 13,
    workspace: "globex",
    name: "Legacy funnel drop-off",
    unit: "%",
    category: "Growth",
    lowerIsBetter: true,
    aggregation: "AVERAGE",
    target: 20,
    from: 34,
    to: 27,
    noise: 0.05,
    decimals: 1,
    stopsDaysAgo: 20,
    archived: true,
  },
];

function kpiId(name: string): string {
  const kpi = kpis.find((candidate) => candidate.name === name);
  if (!kpi) throw new Error(`the seed links a goal to an unknown KPI: ${name}`);
  return seedId(4, kpi.n);
}

interface SeedGoal {
  n: number;
  workspace: WorkspaceKey;
  title: string;
  status: "NOT_STARTED" | "ON_TRACK" | "AT_RISK" | "OFF_TRACK" | "COMPLETED";
  dueInDays: number | null;
  /** KPI name, weight, criterion. */
  links: [string, number, "REACH_TARGET" | "STAY_ABOVE" | "STAY_BELOW"][];
}

const goals: SeedGoal[] = [
  {
    n: 1,
    workspace: "acme",
    title: "Reach $120k MRR",
    status: "ON_TRACK",
    dueInDays: 75,
    links: [
      ["Monthly recurring revenue", 3, "REACH_TARGET"],
      ["Churn rate", 1, "STAY_BELOW"],
    ],
  },
  {
    n: 2,
    workspace: "acme",
    title: "Answer customers within 30 minutes",
    status: "AT_RISK",
    dueInDays: 30,
    links: [
      ["First response time", 2, "STAY_BELOW"],
      ["Open support tickets", 1, "STAY_BELOW"],
    ],
  },
  {
    n: 3,
    workspace: "acme",
    title: "Activate more new signups",
    status: "NOT_STARTED",
    dueInDays: 120,
    links: [
      ["New signups", 1, "REACH_TARGET"],
      ["Activation rate", 2, "REACH_TARGET"],
    ],
  },
  {
    n: 4,
    workspace: "acme",
    title: "Keep the API fast",
    status: "ON_TRACK",
    dueInDays: null,
    links: [["API p95 latency", 1, "STAY_BELOW"]],
  },
  {
    n: 5,
    workspace: "globex",
    title: "Grow revenue to €60k a month",
    status: "ON_TRACK",
    dueInDays: 90,
    links: [
      ["Revenue", 2, "REACH_TARGET"],
      ["Trial conversion", 1, "STAY_ABOVE"],
    ],
  },
  {
    n: 6,
    workspace: "globex",
    title: "Double website traffic",
    status: "OFF_TRACK",
    dueInDays: 60,
    links: [["Website sessions", 1, "REACH_TARGET"]],
  },
  {
    n: 7,
    workspace: "globex",
    title: "Retire the legacy signup funnel",
    status: "COMPLETED",
    dueInDays: -20,
    links: [["Legacy funnel drop-off", 1, "STAY_BELOW"]],
  },
];

const subscriptions: [SeededUser, "FREE" | "PRO", "MONTHLY" | "YEARLY", boolean][] = [
  ["ada", "PRO", "YEARLY", false],
  ["linus", "PRO", "MONTHLY", true],
  ["grace", "FREE", "MONTHLY", false],
  ["barbara", "FREE", "MONTHLY", false],
];

const historyDays = 90;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** A KPI's points up to `end`: trend, weekday and time-of-day rhythm, autocorrelated noise. */
function series(kpi: SeedKpi, end: number): { timestamps: string[]; values: number[] } {
  const step = kpi.hourly ? hourMs : dayMs;
  const count = (historyDays * dayMs) / step;
  const last = end - (kpi.stopsDaysAgo ?? 0) * dayMs;
  const random = prng(0x5eed + 7919 * kpi.n);
  const scale = 10 ** kpi.decimals;
  const timestamps: string[] = [];
  const values: number[] = [];
  let drift = 0;
  for (let i = 0; i < count; i++) {
    const date = new Date(end - (count - 1 - i) * step);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const hourly = -Math.cos((2 * Math.PI * (date.getUTCHours() - 3)) / 24); // quietest at 03:00 UTC
    const rhythm = 1 + (kpi.weekly ?? 0) * (weekend ? -1 : 0.4) + (kpi.daily ?? 0) * hourly;
    // AR(1) noise of unit variance: values wander for a while instead of jittering independently.
    drift = 0.8 * drift + 1.2 * (random() + random() + random() - 1.5);
    const trend = kpi.from + ((kpi.to - kpi.from) * i) / (count - 1);
    if (date.getTime() > last) continue;
    timestamps.push(date.toISOString());
    values.push(Math.round(Math.max(0, trend * rhythm * (1 + kpi.noise * drift)) * scale) / scale);
  }
  return { timestamps, values };
}

type SqlValue = string | number | boolean | null;

interface TableRows {
  table: string;
  /** Column name to PostgreSQL type; every row carries exactly these columns. */
  columns: Record<string, string>;
  conflict: string[];
  /** Columns written on insert but never changed on conflict (a surrogate id behind a natural key). */
  insertOnly?: string[];
  rows: Record<string, SqlValue>[];
}

// Ties the column list to the rows' keys at compile time.
function tableRows<Row extends Record<string, SqlValue>>(spec: {
  table: string;
  columns: { [Column in keyof Row]: string };
  conflict: (keyof Row & string)[];
  insertOnly?: (keyof Row & string)[];
  rows: Row[];
}): TableRows {
  return spec;
}

/** One multi-row upsert through unnest; returns the rows inserted or changed. */
async function upsert(client: pg.ClientBase, spec: TableRows): Promise<number> {
  const columns = Object.keys(spec.columns);
  const keep = new Set([...spec.conflict, ...(spec.insertOnly ?? [])]);
  const changed = columns.filter((column) => !keep.has(column)).map((column) => `"${column}"`);
  const sql = `INSERT INTO ${spec.table} AS t (${columns.map((column) => `"${column}"`).join(", ")})
    SELECT * FROM unnest(${columns.map((column, i) => `$${i + 1}::${spec.columns[column] ?? "text"}[]`).join(", ")})
    ON CONFLICT (${spec.conflict.map((column) => `"${column}"`).join(", ")}) ${
      changed.length === 0
        ? "DO NOTHING"
        : `DO UPDATE SET ${changed.map((column) => `${column} = EXCLUDED.${column}`).join(", ")}
           WHERE (${changed.map((column) => `t.${column}`).join(", ")})
                 IS DISTINCT FROM (${changed.map((column) => `EXCLUDED.${column}`).join(", ")})`
    }`;
  const result = await client.query(
    sql,
    columns.map((column) => spec.rows.map((row) => row[column] ?? null)),
  );
  return result.rowCount ?? 0;
}

/** The sealed credentials of a seeded integration, as its row's columns (bytea as hex text). */
type SealCredentials = (
  key: IntegrationKey,
  workspace: WorkspaceKey,
  provider: string,
  config: Record<string, string>,
  credentials: Record<string, string>,
) => { credentials: string; credentials_key_id: string };

/** Every table but the data points, parents before children. */
function seedRows(end: number, demoSourceUrl: string, sealed: SealCredentials): TableRows[] {
  const at = (hours: number, seconds = 0) => new Date(end + hours * hourMs + seconds * 1000).toISOString();
  const created = at(-120 * 24);
  const stamps = { created_at: created, updated_at: created };
  // Each connected to a demo series (apps/worker/src/demo): HTTP JSON needs no credentials (sealed
  // empty: every integration has a sealed set), a CSV's URL is itself the credential.
  const demo = (
    key: IntegrationKey,
    workspace: WorkspaceKey,
    provider: "http-json" | "csv",
    name: string,
    config: Record<string, string>,
    credentials: Record<string, string> = {},
  ) => ({
    id: integrationId(key),
    workspace_id: seededWorkspaceIds[workspace],
    provider,
    name,
    config: JSON.stringify(config),
    ...sealed(key, workspace, provider, config, credentials),
    // A first-run state: due now, so the worker's first dispatch syncs it.
    sync_status: "IDLE",
    sync_started_at: null,
    last_synced_at: null,
    last_attempt_at: null,
    next_sync_at: at(0),
    sync_interval_seconds: 900,
    consecutive_failures: 0,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    auth_failed_at: null,
    sync_cursor: null,
    ...stamps,
  });
  return [
    tableRows({
      table: "users",
      columns: {
        id: "uuid",
        email: "text",
        name: "text",
        provider: "text",
        provider_account_id: "text",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["id"],
      rows: userKeys.map((key) => ({
        id: seededUserIds[key],
        email: seededEmail(key),
        name: users[key].name,
        provider: "github",
        provider_account_id: `seed-${key}`,
        ...stamps,
      })),
    }),
    tableRows({
      table: "workspaces",
      columns: { id: "uuid", name: "text", slug: "text", created_at: "timestamptz", updated_at: "timestamptz" },
      conflict: ["id"],
      rows: [
        { id: seededWorkspaceIds.acme, name: "Acme Analytics", slug: "acme", ...stamps },
        { id: seededWorkspaceIds.globex, name: "Globex Labs", slug: "globex", ...stamps },
      ],
    }),
    // Keyed by (workspace, user): someone who left and rejoined through the app keeps their row.
    tableRows({
      table: "workspace_users",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        user_id: "uuid",
        role: '"WorkspaceRole"',
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "user_id"],
      insertOnly: ["id"],
      rows: memberships.map(([workspace, user, role], i) => ({
        id: seedId(3, i + 1),
        workspace_id: seededWorkspaceIds[workspace],
        user_id: seededUserIds[user],
        role,
        ...stamps,
      })),
    }),
    // The demo source's series; rewritten to this first-run state on every seed (credentials kept
    // when they are already there: sealing again would write new bytes each run).
    tableRows({
      table: "integrations",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        provider: "text",
        name: "text",
        config: "jsonb",
        credentials: "bytea",
        credentials_key_id: "text",
        sync_status: '"SyncStatus"',
        sync_started_at: "timestamptz",
        last_synced_at: "timestamptz",
        last_attempt_at: "timestamptz",
        next_sync_at: "timestamptz",
        sync_interval_seconds: "int4",
        consecutive_failures: "int4",
        last_error_code: "text",
        last_error_message: "text",
        last_error_at: "timestamptz",
        auth_failed_at: "timestamptz",
        sync_cursor: "jsonb",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "id"],
      rows: [
        demo("billing", "acme", "http-json", "Billing (demo source)", {
          url: `${demoSourceUrl}/mrr.json`,
          valuePath: "$.points",
        }),
        demo(
          "deploys",
          "acme",
          "csv",
          "Deploys (demo CSV)",
          { timestampColumn: "timestamp", valueColumn: "deploys" },
          { url: `${demoSourceUrl}/deploys.csv` },
        ),
        demo("revenueFeed", "globex", "http-json", "Revenue feed (demo source)", {
          url: `${demoSourceUrl}/revenue.json`,
          valuePath: "$.points",
        }),
        demo(
          "sessions",
          "globex",
          "csv",
          "Website sessions (demo spreadsheet export)",
          { timestampColumn: "Datum", valueColumn: "sessions" },
          { url: `${demoSourceUrl}/sessions.csv?format=europe` },
        ),
      ],
    }),
    // current_value and current_value_at are the points trigger's: never written here.
    tableRows({
      table: "kpis",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        name: "text",
        description: "text",
        unit: "text",
        category: "text",
        direction: '"KpiDirection"',
        aggregation: '"KpiAggregation"',
        target_value: "float8",
        is_active: "bool",
        archived_at: "timestamptz",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "id"],
      rows: kpis.map((kpi) => ({
        id: seedId(4, kpi.n),
        workspace_id: seededWorkspaceIds[kpi.workspace],
        name: kpi.name,
        description: `${kpi.name}, measured ${kpi.hourly ? "hourly" : "daily"}.`,
        unit: kpi.unit,
        category: kpi.category,
        direction: kpi.lowerIsBetter ? "LOWER_IS_BETTER" : "HIGHER_IS_BETTER",
        aggregation: kpi.aggregation,
        target_value: kpi.target,
        is_active: !kpi.archived,
        archived_at: kpi.archived ? at(-(kpi.stopsDaysAgo ?? 0) * 24 + 1) : null,
        ...stamps,
      })),
    }),
    // Which KPI each seeded integration's metric writes into (the worker's targets).
    tableRows({
      table: "integration_metrics",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        integration_id: "uuid",
        metric_key: "text",
        kpi_id: "uuid",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "integration_id", "metric_key"],
      insertOnly: ["id"],
      rows: kpis.flatMap((kpi) =>
        kpi.integration
          ? [
              {
                id: seedId(10, integrationNumbers[kpi.integration]),
                workspace_id: seededWorkspaceIds[kpi.workspace],
                integration_id: integrationId(kpi.integration),
                metric_key: "value",
                kpi_id: seedId(4, kpi.n),
                ...stamps,
              },
            ]
          : [],
      ),
    }),
    tableRows({
      table: "goals",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        title: "text",
        description: "text",
        target_date: "date",
        status: '"GoalStatus"',
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "id"],
      rows: goals.map((goal) => ({
        id: seedId(5, goal.n),
        workspace_id: seededWorkspaceIds[goal.workspace],
        title: goal.title,
        description: "",
        target_date: goal.dueInDays === null ? null : at(goal.dueInDays * 24).slice(0, 10),
        status: goal.status,
        ...stamps,
      })),
    }),
    tableRows({
      table: "goal_kpis",
      columns: {
        id: "uuid",
        workspace_id: "uuid",
        goal_id: "uuid",
        kpi_id: "uuid",
        weight: "float8",
        criterion: '"GoalCriterion"',
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["workspace_id", "goal_id", "kpi_id"],
      insertOnly: ["id"],
      rows: goals.flatMap((goal) =>
        goal.links.map(([kpi, weight, criterion], i) => ({
          id: seedId(6, goal.n * 100 + i + 1),
          workspace_id: seededWorkspaceIds[goal.workspace],
          goal_id: seedId(5, goal.n),
          kpi_id: kpiId(kpi),
          weight,
          criterion,
          ...stamps,
        })),
      ),
    }),
    tableRows({
      table: "subscriptions",
      columns: {
        id: "uuid",
        user_id: "uuid",
        status: '"SubscriptionStatus"',
        plan: '"Plan"',
        billing_period: '"BillingPeriod"',
        current_period_start: "timestamptz",
        current_period_end: "timestamptz",
        cancel_at_period_end: "bool",
        external_customer_id: "text",
        external_subscription_id: "text",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      conflict: ["id"],
      rows: subscriptions.map(([user, plan, period, cancel]) => ({
        id: seedId(9, users[user].n),
        user_id: seededUserIds[user],
        status: "ACTIVE",
        plan,
        billing_period: period,
        current_period_start: at(-10 * 24),
        current_period_end: at((period === "YEARLY" ? 355 : 20) * 24),
        cancel_at_period_end: cancel,
        external_customer_id: plan === "PRO" ? `cus_seed_${user}` : null,
        external_subscription_id: plan === "PRO" ? `sub_seed_${user}` : null,
        ...stamps,
      })),
    }),
  ];
}

/**
 * One KPI's history in one statement (one pass of the current-value trigger); returns rows written.
 * A KPI fed by a seeded integration has none from the seed (its first sync brings 90 days from the
 * demo source): the seed's own points of it, from before, are removed.
 */
async function upsertSeries(
  client: pg.ClientBase,
  kpi: SeedKpi,
  end: number,
): Promise<{ points: number; written: number }> {
  const { timestamps, values } = kpi.integration ? { timestamps: [], values: [] } : series(kpi, end);
  const prefix = pointIdPrefix(kpi.n);
  const ids = timestamps.map((timestamp) => `${prefix}-4000-8000-${hex(Date.parse(timestamp) / 60_000, 12)}`);
  const workspaceId = seededWorkspaceIds[kpi.workspace];
  const inserted = await client.query(
    `INSERT INTO kpi_data_points AS p (id, workspace_id, kpi_id, value, "timestamp", source, integration_id, created_at)
     SELECT u.id, $1, $2, u.value, u.at, $3::"DataPointSource", $4::uuid, u.at
       FROM unnest($5::uuid[], $6::float8[], $7::timestamptz[]) AS u(id, value, at)
     ON CONFLICT (workspace_id, kpi_id, "timestamp", source) DO UPDATE SET value = EXCLUDED.value
       WHERE p.value IS DISTINCT FROM EXCLUDED.value`,
    [workspaceId, seedId(4, kpi.n), "IMPORT", null, ids, values, timestamps],
  );
  // The seed's own points that slid out of the window: their ids carry this KPI's prefix.
  const removed = await client.query(
    `DELETE FROM kpi_data_points
      WHERE workspace_id = $1 AND kpi_id = $2 AND "timestamp" < $3 AND id BETWEEN $4 AND $5`,
    [
      workspaceId,
      seedId(4, kpi.n),
      timestamps[0] ?? "infinity",
      `${prefix}-0000-0000-000000000000`,
      `${prefix}-ffff-ffff-ffffffffffff`,
    ],
  );
  return { points: timestamps.length, written: (inserted.rowCount ?? 0) + (removed.rowCount ?? 0) };
}

/**
 * Seals each seeded integration's credentials, or keeps the ones its row already holds for the same
 * provider (sealing is randomised: sealing again would rewrite the row on every run).
 */
async function credentialsSealer(client: pg.ClientBase, keyring: PublicKeyring): Promise<SealCredentials> {
  const { rows } = await client.query<{ id: string; provider: string; credentials: Buffer; key_id: string }>(
    `SELECT id, provider, credentials, credentials_key_id AS key_id FROM integrations
      WHERE id = ANY($1::uuid[]) AND credentials IS NOT NULL AND credentials_key_id IS NOT NULL`,
    [Object.values(seededIntegrationIds)],
  );
  const kept = new Map(rows.map((row) => [row.id, row]));
  const bytea = (bytes: Uint8Array) => `\\x${Buffer.from(bytes).toString("hex")}`;
  return (key, workspace, provider, config, credentials) => {
    const id = integrationId(key);
    const existing = kept.get(id);
    if (existing?.provider === provider)
      return { credentials: bytea(existing.credentials), credentials_key_id: existing.key_id };
    const box = seal(keyring, credentials, credentialsBinding(seededWorkspaceIds[workspace], id, provider, config));
    return { credentials: bytea(box.ciphertext), credentials_key_id: box.keyId };
  };
}

/**
 * What earlier seeds wrote and this one no longer does: made-up sync runs, mappings of old metrics,
 * and its points marked as an integration's (the seed's points are imports now; a synced KPI's come
 * from the worker).
 */
async function removeRetired(client: pg.ClientBase): Promise<number> {
  const points = await client.query(
    `DELETE FROM kpi_data_points WHERE source = 'INTEGRATION' AND id BETWEEN $1 AND $2`,
    [`${pointIdPrefix(0)}-0000-0000-000000000000`, `${pointIdPrefix(0xffff)}-ffff-ffff-ffffffffffff`],
  );
  const runs = await client.query("DELETE FROM sync_runs WHERE id BETWEEN $1 AND $2", [
    seedId(8, 0),
    seedId(8, 0xffff_ffff_ffff),
  ]);
  const mappings = await client.query(
    "DELETE FROM integration_metrics WHERE integration_id = ANY($1::uuid[]) AND metric_key <> 'value'",
    [Object.values(seededIntegrationIds)],
  );
  return (points.rowCount ?? 0) + (runs.rowCount ?? 0) + (mappings.rowCount ?? 0);
}

export async function seed(url: string, options: SeedOptions = {}): Promise<SeedSummary> {
  const end = Math.floor((options.now ?? new Date()).getTime() / dayMs) * dayMs;
  const keyring = parsePublicKeyring(options.credentialsPublicKey ?? developmentCredentialsPublicKey);
  const client = new pg.Client({ connectionString: url, application_name: "northstar-seed" });
  await client.connect();
  try {
    await client.query("BEGIN");
    // A second seed started meanwhile waits here instead of failing on the first one's rows.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('northstar.seed'))");
    const sealer = await credentialsSealer(client, keyring);
    const tables = seedRows(end, options.demoSourceUrl ?? defaultDemoSourceUrl, sealer);
    let written = await removeRetired(client);
    for (const table of tables) written += await upsert(client, table);
    let dataPoints = 0;
    for (const kpi of kpis) {
      const result = await upsertSeries(client, kpi, end);
      dataPoints += result.points;
      written += result.written;
    }
    // The deferred "workspace keeps an owner" check runs here.
    await client.query("COMMIT");
    const count = (table: string) => tables.find((candidate) => candidate.table === table)?.rows.length ?? 0;
    return {
      users: count("users"),
      workspaces: count("workspaces"),
      memberships: count("workspace_users"),
      kpis: count("kpis"),
      dataPoints,
      goals: count("goals"),
      goalKpis: count("goal_kpis"),
      integrations: count("integrations"),
      integrationMetrics: count("integration_metrics"),
      subscriptions: count("subscriptions"),
      written,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export function formatSeedSummary(summary: SeedSummary): string {
  const { written, ...counts } = summary;
  const lines = Object.entries(counts).map(([table, rows]) => `  ${table.padEnd(14)}${String(rows).padStart(7)}`);
  const outcome = written === 0 ? "Nothing written: the database already held this seed." : `${written} rows written.`;
  return ["Seeded:", ...lines, outcome].join("\n");
}
