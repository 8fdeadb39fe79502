import { type Plan, queryRows, type RowsOf, type ScopedDb, sql } from "@northstar/db";
import { TRPCError } from "@trpc/server";

// What each plan allows, enforced here (the database does not know about plans). A workspace's
// plan is the best current plan among its owners (app.workspace_plan()); a user's own plan limits
// how many workspaces they may own.

export interface PlanLimits {
  /** Workspaces a user may own. */
  workspaces: number;
  /** Active KPIs per workspace. */
  kpis: number;
  integrations: number;
  /** How far back data points may be recorded and read. */
  historyDays: number;
}

export const planLimits = {
  FREE: { workspaces: 1, kpis: 10, integrations: 1, historyDays: 90 },
  PRO: { workspaces: 5, kpis: 200, integrations: 20, historyDays: 3 * 365 },
  BUSINESS: { workspaces: 50, kpis: 5_000, integrations: 200, historyDays: 10 * 365 },
} as const satisfies Record<Plan, PlanLimits>;

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The one statement for the context workspace's plan: app.workspace_plan() computes it from its
 * owners' current subscriptions (null for a caller who is not a member).
 */
export const workspacePlanQuery = sql<{ plan: Plan | null }>`SELECT app.workspace_plan()::text AS plan`;

/** The plan an answer of workspacePlanQuery names: FREE when there is none. */
export function planOf(rows: RowsOf<typeof workspacePlanQuery>): Plan {
  return rows[0]?.plan ?? "FREE";
}

/** The context workspace's plan (db scoped to a workspace the caller belongs to). */
export async function workspacePlan(db: ScopedDb): Promise<Plan> {
  return planOf(await queryRows(db, workspacePlanQuery));
}

/** `what` names one of the limited things, and `many` several ("owned workspace(s)"). */
export function limitReached(plan: Plan, limit: number, what: { one: string; many: string }): TRPCError {
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

/** Refuses adding `adding` active KPIs beyond the plan's limit. */
export async function assertKpiCapacity(db: ScopedDb, workspaceId: string, adding: number): Promise<void> {
  await lockLimit(db, `kpis:${workspaceId}`);
  const plan = await workspacePlan(db);
  const limit = planLimits[plan].kpis;
  const active = await db.kpi.count({ where: { workspaceId, isActive: true } });
  if (active + adding > limit)
    throw limitReached(plan, limit, { one: "active KPI per workspace", many: "active KPIs per workspace" });
}

/** The oldest instant the plan lets a workspace record or read. */
export function historyStart(plan: Plan, now: Date): Date {
  return new Date(now.getTime() - planLimits[plan].historyDays * dayMs);
}

export function historyLimitReached(plan: Plan): TRPCError {
  const days = planLimits[plan].historyDays;
  return new TRPCError({
    code: "PRECONDITION_FAILED",
    message: `The ${plan} plan keeps ${days} days of history; upgrade the plan to use older data.`,
  });
}

/** Refuses connecting another integration beyond the plan's limit (for the integration router). */
export async function assertIntegrationCapacity(db: ScopedDb, workspaceId: string): Promise<void> {
  await lockLimit(db, `integrations:${workspaceId}`);
  const plan = await workspacePlan(db);
  const limit = planLimits[plan].integrations;
  const connected = await db.integration.count({ where: { workspaceId } });
  if (connected + 1 > limit)
    throw limitReached(plan, limit, { one: "integration per workspace", many: "integrations per workspace" });
}
