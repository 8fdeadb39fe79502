// The benchmarks' tenants (`pnpm bench` and `bench:scale`): what the generator does not make (plans,
// goals), the owners and KPIs to call with, and their sessions, signed in through the host's
// /auth/dev as the host tests do, so that createCaller and HTTP calls run with a real context.
import { Writable } from "node:stream";
import { sessionCookieName } from "@northstar/api";
import type { Database } from "@northstar/db";
import type { OperatorPool } from "@northstar/db/testing";
import { pino } from "pino";
import { createApp } from "../server/app.ts";
import { type ListeningApp, listenOnFreePort } from "../test/listen.ts";

export interface Tenant {
  userId: string;
  workspaceId: string;
  kpiIds: string[];
}

export interface Signed extends Tenant {
  cookie: string;
}

const dayMs = 86_400_000;

/**
 * Every owner of `workspaceIds` (default: of every workspace) gets an active PRO plan (3 years of
 * history: a one-year series and its previous year are readable), and each of those workspaces
 * five goals, each linked to three of its KPIs (a goal list of realistic shape).
 */
export async function arrange(admin: OperatorPool, workspaceIds: string[] | null = null): Promise<void> {
  await admin.query(
    `INSERT INTO subscriptions (user_id, plan, status, current_period_start, current_period_end)
     SELECT user_id, 'PRO', 'ACTIVE', now() - interval '1 day', now() + interval '1 year'
       FROM workspace_users WHERE role = 'OWNER' AND ($1::uuid[] IS NULL OR workspace_id = ANY($1::uuid[]))`,
    [workspaceIds],
  );
  await admin.query(
    `WITH goals AS (
       INSERT INTO goals (workspace_id, title, target_date, status)
       SELECT w.id, 'Goal ' || g, (now() + g * interval '30 days')::date,
              (ARRAY['NOT_STARTED','ON_TRACK','AT_RISK','OFF_TRACK','COMPLETED'])[g]::"GoalStatus"
         FROM workspaces AS w CROSS JOIN generate_series(1, 5) AS g
        WHERE $1::uuid[] IS NULL OR w.id = ANY($1::uuid[])
       RETURNING workspace_id, id, title)
     INSERT INTO goal_kpis (workspace_id, goal_id, kpi_id, weight)
     SELECT g.workspace_id, g.id, k.id, 1 + (k.n % 3)
       FROM goals AS g
       JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY name) AS n FROM kpis
                      WHERE workspace_id = g.workspace_id) AS k
         ON k.n % 5 = substring(g.title FROM 6)::int % 5 AND k.n <= 15`,
    [workspaceIds],
  );
}

/** The owners of the first `count` workspaces (by id), or of `workspaceIds`, with their KPIs by name. */
export async function tenants(
  admin: OperatorPool,
  count: number,
  workspaceIds: string[] | null = null,
): Promise<Tenant[]> {
  const { rows } = await admin.query<{ workspace_id: string; user_id: string; kpi_ids: string[] }>(
    `SELECT wu.workspace_id::text, wu.user_id::text, array_agg(k.id::text ORDER BY k.name) AS kpi_ids
       FROM workspace_users AS wu JOIN kpis AS k ON k.workspace_id = wu.workspace_id
      WHERE wu.role = 'OWNER' AND ($2::uuid[] IS NULL OR wu.workspace_id = ANY($2::uuid[]))
      GROUP BY 1, 2 ORDER BY 1 LIMIT $1`,
    [count, workspaceIds],
  );
  return rows.map((row) => ({ userId: row.user_id, workspaceId: row.workspace_id, kpiIds: row.kpi_ids }));
}

/** The dashboard chart's range: the year up to the current hour. */
export function seriesRange(): { from: Date; to: Date } {
  const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  return { from: new Date(to.getTime() - 365 * dayMs), to };
}

/** Request logs at info, as in production, written nowhere. */
const discard = new Writable({
  write: (_chunk, _encoding, done) => {
    done();
  },
});

/** The host on a free port, with development sign-in on and limits out of the way (and its default chart cache, unless `chartCacheBytes`). */
export function startHost(database: Database, options: { chartCacheBytes?: number } = {}): Promise<ListeningApp> {
  return listenOnFreePort((url) =>
    createApp({
      database,
      auth: {
        baseUrl: url,
        secret: "a-benchmark-secret-that-is-long-enough-1234",
        providers: {},
        developmentSignIn: true,
      },
      logger: pino({ level: "info" }, discard),
      ...options,
      // A few users make every call here: the per-user limits would measure themselves, not the API.
      rateLimits: {
        signIn: { burst: 1_000, perSecond: 100 },
        queries: { burst: 1e9, perSecond: 1e9 },
        inFlight: { running: 1_000, waiting: 1_000 },
      },
    }),
  );
}

/** The session cookie (`name=value`) of `userId`, from the host's development sign-in. */
export async function signIn(host: ListeningApp, userId: string): Promise<string> {
  const response = await fetch(`${host.url}/auth/dev`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: host.url },
    body: new URLSearchParams({ userId }),
  });
  const cookie = response.headers
    .getSetCookie()
    .filter((header) => header.startsWith(`${sessionCookieName}=`))
    .at(-1)
    ?.split(";")[0];
  if (response.status !== 303 || !cookie)
    throw new Error(`development sign-in as ${userId} failed: ${response.status} ${await response.text()}`);
  return cookie;
}

/** The session token in a `name=value` cookie. */
export function tokenOf(cookie: string): string {
  return cookie.slice(sessionCookieName.length + 1);
}
