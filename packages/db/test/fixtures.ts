import { randomUUID } from "node:crypto";
import type pg from "pg";
import { expect } from "vitest";
import { checkRollups, type RollupScope } from "../src/rollups.ts";
import { operatorTransaction } from "../src/testing/operator.ts";

// Two workspaces with overlapping members, arranged as an operator (superuser) would, so tests
// can check what each role of each user sees through row-level security.
export interface Tenancy {
  users: Record<"alice" | "bob" | "carol" | "vera" | "dave", string>;
  workspaces: Record<"a" | "b", string>;
  kpis: Record<"a" | "b", string>;
  goals: Record<"a" | "b", string>;
  integrations: Record<"a" | "b", string>;
}

export async function arrangeTenancy(admin: pg.Pool): Promise<Tenancy> {
  const id = () => randomUUID();
  const t: Tenancy = {
    users: { alice: id(), bob: id(), carol: id(), vera: id(), dave: id() },
    workspaces: { a: id(), b: id() },
    kpis: { a: id(), b: id() },
    goals: { a: id(), b: id() },
    integrations: { a: id(), b: id() },
  };
  await operatorTransaction(admin, async (client) => {
    for (const [name, userId] of Object.entries(t.users)) {
      await client.query(
        "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, $3, 'github', $4)",
        [userId, `${name}-${userId.slice(0, 8)}@example.com`, name, userId],
      );
    }
    const memberships: [string, string, string][] = [
      [t.workspaces.a, t.users.alice, "OWNER"],
      [t.workspaces.a, t.users.bob, "MEMBER"],
      [t.workspaces.a, t.users.vera, "VIEWER"],
      [t.workspaces.b, t.users.carol, "OWNER"],
      [t.workspaces.b, t.users.alice, "ADMIN"],
    ];
    for (const ws of ["a", "b"] as const) {
      await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, $2, $3)", [
        t.workspaces[ws],
        `Workspace ${ws.toUpperCase()}`,
        `ws-${ws}-${t.workspaces[ws].slice(0, 8)}`,
      ]);
    }
    for (const [workspaceId, userId, role] of memberships) {
      await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, $3)", [
        workspaceId,
        userId,
        role,
      ]);
    }
    for (const ws of ["a", "b"] as const) {
      const workspaceId = t.workspaces[ws];
      await client.query("INSERT INTO kpis (id, workspace_id, name, target_value) VALUES ($1, $2, $3, 100)", [
        t.kpis[ws],
        workspaceId,
        `Revenue ${ws}`,
      ]);
      await client.query(
        `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
         SELECT $1, $2, g, now() - make_interval(days => g) FROM generate_series(1, 10) AS g`,
        [workspaceId, t.kpis[ws]],
      );
      await client.query("INSERT INTO goals (id, workspace_id, title) VALUES ($1, $2, $3)", [
        t.goals[ws],
        workspaceId,
        `Grow ${ws}`,
      ]);
      await client.query("INSERT INTO goal_kpis (workspace_id, goal_id, kpi_id, weight) VALUES ($1, $2, $3, 2)", [
        workspaceId,
        t.goals[ws],
        t.kpis[ws],
      ]);
      await client.query(
        "INSERT INTO integrations (id, workspace_id, provider, name) VALUES ($1, $2, 'http-json', $3)",
        [t.integrations[ws], workspaceId, `Feed ${ws}`],
      );
      await client.query("INSERT INTO sync_runs (workspace_id, integration_id, status) VALUES ($1, $2, 'SUCCEEDED')", [
        workspaceId,
        t.integrations[ws],
      ]);
    }
  });
  return t;
}

// Points and KPIs written as an operator, for the tests that compare rollups with raw points.

/** The start of a window across the 2026 daylight-saving changes of New York (8 March) and Lord Howe (5 April). */
export const dstWindowStart = Date.parse("2026-03-01T00:00:00.000Z");

export interface OperatorPoint {
  kpiId: string;
  at: Date;
  value: number;
  /** Default MANUAL. */
  source?: "MANUAL" | "IMPORT";
}

/** A workspace of its own, owned by `ownerId`, for a test that deletes it; its id. */
export async function addWorkspace(admin: pg.Pool, ownerId: string): Promise<string> {
  const workspaceId = randomUUID();
  await operatorTransaction(admin, async (client) => {
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Short-lived', $2)", [
      workspaceId,
      `short-${workspaceId.slice(0, 8)}`,
    ]);
    await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
      workspaceId,
      ownerId,
    ]);
  });
  return workspaceId;
}

/** A new KPI of `workspaceId` named `<prefix> <id>`; its id. */
export async function addKpi(admin: pg.Pool, workspaceId: string, prefix: string): Promise<string> {
  const kpiId = randomUUID();
  await admin.query("INSERT INTO kpis (id, workspace_id, name) VALUES ($1, $2, $3)", [
    kpiId,
    workspaceId,
    `${prefix} ${kpiId.slice(0, 8)}`,
  ]);
  return kpiId;
}

/** Points of `workspaceId` in one statement (so its triggers run once); a point already there is kept. */
export async function insertPoints(
  admin: pg.Pool,
  workspaceId: string,
  points: readonly OperatorPoint[],
): Promise<void> {
  await admin.query(
    `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp", source)
     SELECT $1, * FROM unnest($2::uuid[], $3::float8[], $4::timestamptz[], $5::"DataPointSource"[])
     ON CONFLICT DO NOTHING`,
    [
      workspaceId,
      points.map((p) => p.kpiId),
      points.map((p) => p.value),
      points.map((p) => p.at),
      points.map((p) => p.source ?? "MANUAL"),
    ],
  );
}

export async function setWorkspaceZone(admin: pg.Pool, workspaceId: string, zone: string): Promise<void> {
  await admin.query("UPDATE workspaces SET time_zone = $2 WHERE id = $1", [workspaceId, zone]);
}

/** How many hourly and daily rollup rows `kpiId` has. */
export async function rollupRowCounts(admin: pg.Pool, kpiId: string): Promise<{ hourly: number; daily: number }> {
  const { rows } = await admin.query<{ hourly: number; daily: number }>(
    `SELECT (SELECT count(*)::int FROM kpi_rollups_hourly WHERE kpi_id = $1) AS hourly,
            (SELECT count(*)::int FROM kpi_rollups_daily WHERE kpi_id = $1) AS daily`,
    [kpiId],
  );
  return rows[0] ?? { hourly: 0, daily: 0 };
}

/** The operator's drift check finds nothing: the rollups (of `scope`, default all) equal the raw points. */
export async function expectNoRollupDrift(admin: pg.Pool, scope: RollupScope = {}): Promise<void> {
  const client = await admin.connect();
  try {
    expect(await checkRollups(client, scope)).toEqual([]);
  } finally {
    client.release();
  }
}
