import { historyStart, limitLabels, planLimits, type PlanLimits, type PlanName } from "@northstar/core/plans";
import { type Query, queryRows, type RowsOf, type ScopedDb, sql, type Plan } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import type { Billing } from "./billing/config.ts";
import { myPlan } from "./subscription.ts";

// What each plan allows (defined once in @northstar/core/plans), enforced here: the database does
// not know about plans. A workspace's plan is the best current plan among its owners
// (app.workspace_plan()); a user's own plan limits how many workspaces they may own. With billing
// off (a self-hosted install) every workspace and user is on the configured plan instead.
//
// A downgrade never deletes anything: what is over a limit stays readable, and writes to it are
// refused with a message naming the limit until the plan allows it again.

export { historyStart, planLimits, type PlanLimits, type PlanName };

/**
 * The one statement for the context workspace's plan: app.workspace_plan() computes it from its
 * owners' current subscriptions (null for a caller who is not a member).
 */
export const workspacePlanQuery = sql<{ plan: Plan | null }>`SELECT app.workspace_plan()::text AS plan`;

/** The plan billing puts everyone on, when it does (billing off); null: subscriptions decide. */
export function configuredPlan(billing: Billing | null): PlanName | null {
  return billing?.mode === "self-hosted" ? billing.plan : null;
}

/** The plan an answer of workspacePlanQuery names: FREE when there is none. */
export function planOf(rows: RowsOf<typeof workspacePlanQuery>, billing: Billing | null): PlanName {
  return configuredPlan(billing) ?? rows[0]?.plan ?? "FREE";
}

/** The context workspace's plan (db scoped to a workspace the caller belongs to). */
export async function workspacePlan(db: ScopedDb, billing: Billing | null): Promise<PlanName> {
  const configured = configuredPlan(billing);
  if (configured) return configured;
  return planOf(await queryRows(db, workspacePlanQuery), billing);
}

/** A user's own plan (for the workspaces they may own). */
export async function userPlan(db: ScopedDb, userId: string, now: Date, billing: Billing | null): Promise<PlanName> {
  return configuredPlan(billing) ?? (await myPlan(db, userId, now)).plan;
}

/** `what` names one of the limited things, and `many` several ("owned workspace(s)"). */
export function limitReached(plan: PlanName, limit: number, what: { one: string; many: string }): TRPCError {
  return new TRPCError({
    code: "PRECONDITION_FAILED",
    message: `The ${plan} plan allows ${limit} ${limit === 1 ? what.one : what.many}; upgrade the plan to add more.`,
  });
}

/**
 * Serialises the transactions that count against one limit (until each commits), so that two
 * concurrent creates cannot both see room for one more. A transaction-level advisory lock: no row
 * to lock exists before the insert, and the lock goes away with the transaction.
 */
export async function lockLimit(db: ScopedDb, key: string): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`northstar:limit:${key}`}, 0))`;
}

/** Refuses going from `used` to `used + adding` of `limit` on `plan`. */
function assertRoom(plan: PlanName, limit: keyof PlanLimits, used: number, adding: number): void {
  const allowed = planLimits[plan][limit];
  if (allowed !== null && used + adding > allowed) throw limitReached(plan, allowed, limitLabels[limit]);
}

/** Refuses adding `adding` active KPIs beyond the plan's limit. */
export async function assertKpiCapacity(
  db: ScopedDb,
  workspaceId: string,
  adding: number,
  billing: Billing | null,
): Promise<void> {
  const plan = await workspacePlan(db, billing);
  if (planLimits[plan].kpis === null) return;
  await lockLimit(db, `kpis:${workspaceId}`);
  assertRoom(plan, "kpis", await db.kpi.count({ where: { workspaceId, isActive: true } }), adding);
}

/** Refuses connecting another integration beyond the plan's limit (for the integration router). */
export async function assertIntegrationCapacity(
  db: ScopedDb,
  workspaceId: string,
  billing: Billing | null,
): Promise<void> {
  const plan = await workspacePlan(db, billing);
  if (planLimits[plan].integrations === null) return;
  await lockLimit(db, `integrations:${workspaceId}`);
  assertRoom(plan, "integrations", await db.integration.count({ where: { workspaceId } }), 1);
}

/** Refuses adding `adding` members beyond the plan's limit (owners included). */
export async function assertMemberCapacity(
  db: ScopedDb,
  workspaceId: string,
  adding: number,
  billing: Billing | null,
  now: Date = new Date(),
): Promise<void> {
  const plan = await workspacePlan(db, billing);
  if (planLimits[plan].members === null) return;
  await lockLimit(db, `members:${workspaceId}`);
  // An open invitation holds a seat: its invitee may accept at any time without asking the plan.
  const members = await db.workspaceUser.count({ where: { workspaceId } });
  const invited = await db.invitation.count({ where: { workspaceId, status: "PENDING", expiresAt: { gt: now } } });
  assertRoom(plan, "members", members + invited, adding);
}

/** Refuses owning another workspace beyond the user's own plan. */
export async function assertWorkspaceCapacity(
  db: ScopedDb,
  userId: string,
  now: Date,
  billing: Billing | null,
): Promise<void> {
  const plan = await userPlan(db, userId, now, billing);
  if (planLimits[plan].workspaces === null) return;
  await lockLimit(db, `workspaces:${userId}`);
  assertRoom(plan, "workspaces", await db.workspaceUser.count({ where: { userId, role: "OWNER" } }), 1);
}

/**
 * Where a row stands among its workspace's rows that count toward a limit, oldest first (by
 * creation, then id): after a downgrade or a lapse the first `limit` stay writable and the rest
 * read-only, until the plan allows them again or others go. Null: the row does not count.
 */
const kpiPositionQuery = (workspaceId: string, kpiId: string) =>
  sql<{ position: number | null }>`
    SELECT (SELECT count(*)::int FROM kpis AS o
              WHERE o.workspace_id = k.workspace_id AND o.is_active
                AND (o.created_at, o.id) <= (k.created_at, k.id)) AS position
      FROM kpis AS k
     WHERE k.workspace_id = ${workspaceId}::uuid AND k.id = ${kpiId}::uuid AND k.is_active`;

const integrationPositionQuery = (workspaceId: string, integrationId: string) =>
  sql<{ position: number | null }>`
    SELECT (SELECT count(*)::int FROM integrations AS o
              WHERE o.workspace_id = i.workspace_id
                AND (o.created_at, o.id) <= (i.created_at, i.id)) AS position
      FROM integrations AS i
     WHERE i.workspace_id = ${workspaceId}::uuid AND i.id = ${integrationId}::uuid`;

async function assertWithinLimit(
  db: ScopedDb,
  billing: Billing | null,
  limit: "kpis" | "integrations",
  position: Query<{ position: number | null }>,
  what: string,
  /** Besides upgrading, e.g. "archive other KPIs". */
  remedy?: string,
): Promise<void> {
  const plan = await workspacePlan(db, billing);
  const allowed: number | null = planLimits[plan][limit];
  if (allowed === null) return;
  const rows = await queryRows(db, position);
  if ((rows[0]?.position ?? 0) <= allowed) return;
  const label = allowed === 1 ? limitLabels[limit].one : limitLabels[limit].many;
  throw new TRPCError({
    code: "PRECONDITION_FAILED",
    message: `This ${what} is read-only: the ${plan} plan allows ${allowed} ${label} and it is beyond them. ${remedy ? `Upgrade the plan or ${remedy}` : "Upgrade the plan"} to edit it.`,
  });
}

/** Refuses writes to a KPI beyond the plan's active-KPI limit (archiving stays allowed, so the owner can choose). */
export function assertKpiWritable(
  db: ScopedDb,
  workspaceId: string,
  kpiId: string,
  billing: Billing | null,
): Promise<void> {
  return assertWithinLimit(db, billing, "kpis", kpiPositionQuery(workspaceId, kpiId), "KPI", "archive other KPIs");
}

/** Refuses changes to, and manual syncs of, an integration beyond the plan's limit (disabling stays allowed). */
export function assertIntegrationWritable(
  db: ScopedDb,
  workspaceId: string,
  integrationId: string,
  billing: Billing | null,
): Promise<void> {
  return assertWithinLimit(
    db,
    billing,
    "integrations",
    integrationPositionQuery(workspaceId, integrationId),
    "integration",
  );
}

/** Workspace things over the plan's limits (kept, read-only), for the Billing page. */
export function overLimit(plan: PlanName, usage: { activeKpis: number; integrations: number; members: number }) {
  const limits = planLimits[plan];
  const over = (used: number, limit: number | null) => (limit === null ? 0 : Math.max(0, used - limit));
  return {
    kpis: over(usage.activeKpis, limits.kpis),
    integrations: over(usage.integrations, limits.integrations),
    members: over(usage.members, limits.members),
  };
}
