import { sendSync } from "@northstar/db/queue";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as store from "../src/sync/store.ts";
import {
  createIntegration,
  createTenant,
  testSyncSettings,
  Gate,
  integrationState,
  json,
  pointsOf,
  type ProviderServer,
  startProviderServer,
  startTestWorker,
  type TestWorker,
  waitFor,
} from "./support.ts";

// The sync's semantics end to end: a real worker (pg-boss on the queue role, the worker role under
// RLS) against an HTTP JSON provider on 127.0.0.1 whose answers each test scripts.

const context = useTestDatabase("worker");
const secret = "s3cr3t-header-value-1234567890";

interface Script {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Held unanswered until the test opens the gate. */
  held?: boolean;
}

// Each integration reads its own path; each path answers from its own script (the last answer repeats).
const scripts = new Map<string, Script[]>();
const seen = new Map<string, number[]>();
let provider: ProviderServer;
let worker: TestWorker;
const gate = new Gate();

function script(path: string, ...answers: Script[]): string {
  scripts.set(path, answers);
  return `${provider.url}${path}`;
}

function hits(path: string): number[] {
  return seen.get(path) ?? [];
}

// Days relative to today, well inside the worker's first-sync window (30 days back): fixed dates
// fell out of it as the calendar moved on, and the sync rightly stopped fetching them.
const firstDay = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000;
const day = (offset: number) => new Date(firstDay + offset * 86_400_000).toISOString();
const series = (values: number[], from = 0) => ({
  data: { points: values.map((value, index) => ({ timestamp: day(from + index), value })) },
});

beforeAll(async () => {
  provider = await startProviderServer(async (request, response, url) => {
    seen.set(url.pathname, [...hits(url.pathname), Date.now()]);
    const answers = scripts.get(url.pathname) ?? [{ status: 404, body: {} }];
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer?.held) await gate.pass();
    if (!answer) json(response, 404, {});
    else if (request.headers["x-api-key"] !== secret)
      json(response, 401, { error: `bad key ${String(request.headers["x-api-key"])}` });
    else json(response, answer.status, answer.body, answer.headers);
  });
  worker = await startTestWorker(context());
});

afterAll(async () => {
  await worker.stop(5_000);
  await provider.close();
});

async function jsonIntegration(path: string, answers: Script[], options: { nextSyncAt?: Date | null } = {}) {
  const { admin } = context();
  const tenant = await createTenant(admin, 1);
  const kpiId = tenant.kpiIds[0] ?? "";
  const integrationId = await createIntegration(admin, tenant.workspaceId, {
    provider: "http-json",
    credentials: { headerName: "x-api-key", headerValue: secret },
    config: { url: script(path, ...answers), valuePath: "$.data.points" },
    metrics: { value: kpiId },
    ...(options.nextSyncAt === undefined ? {} : { nextSyncAt: options.nextSyncAt }),
  });
  return { ...tenant, kpiId, integrationId };
}

async function syncNow(target: { workspaceId: string; integrationId: string }) {
  const outcome = worker.nextOutcome(target.integrationId);
  await sendSync(worker.boss, {
    workspaceId: target.workspaceId,
    integrationId: target.integrationId,
    reason: "requested",
  });
  return outcome;
}

describe("a sync run", () => {
  test("on demand: writes mapped points with the cursor and last_synced_at; SUCCEEDED, lease released", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/on-demand", [{ status: 200, body: series([1, 2, 3]) }]);
    const before = new Date();
    const outcome = await syncNow(target);
    expect(outcome).toMatchObject({ kind: "succeeded", pointsFetched: 3, pointsWritten: 3 });
    const points = await pointsOf(admin, target.kpiId);
    expect(points.map((point) => point.value)).toEqual([1, 2, 3]);
    expect(new Set(points.map((point) => point.workspace_id))).toEqual(new Set([target.workspaceId]));
    const state = await integrationState(admin, target.integrationId);
    expect(state).toMatchObject({
      sync_status: "SUCCEEDED",
      consecutive_failures: 0,
      lease_token: null,
      last_error_code: null,
    });
    expect(state.sync_cursor).toEqual({ latest: day(2) });
    expect(state.last_synced_at?.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
    // Due again one interval later.
    expect(state.next_sync_at?.getTime()).toBeGreaterThan(before.getTime() + 3_500_000);
    const kpi = await admin.query<{ current_value: number }>("SELECT current_value FROM kpis WHERE id = $1", [
      target.kpiId,
    ]);
    expect(kpi.rows[0]?.current_value).toBe(3);
    const runs = await admin.query(
      `SELECT status::text, points_written, finished_at IS NOT NULL AS finished FROM sync_runs
        WHERE integration_id = $1`,
      [target.integrationId],
    );
    expect(runs.rows).toEqual([{ status: "SUCCEEDED", points_written: 3, finished: true }]);
  });

  test("scheduled: the dispatcher enqueues only due ones (not future, disabled or awaiting credentials)", async () => {
    const { admin } = context();
    const due = await jsonIntegration("/due", [{ status: 200, body: series([5]) }], {
      nextSyncAt: new Date(Date.now() - 60_000),
    });
    const future = await jsonIntegration("/future", [{ status: 200, body: series([5]) }], {
      nextSyncAt: new Date(Date.now() + 600_000),
    });
    const disabled = await jsonIntegration("/disabled", [{ status: 200, body: series([5]) }], {
      nextSyncAt: new Date(Date.now() - 60_000),
    });
    await admin.query("UPDATE integrations SET sync_status = 'DISABLED' WHERE id = $1", [disabled.integrationId]);
    const authFailed = await jsonIntegration("/auth-failed", [{ status: 200, body: series([5]) }], {
      nextSyncAt: new Date(Date.now() - 60_000),
    });
    await admin.query("UPDATE integrations SET sync_status = 'FAILED', auth_failed_at = now() WHERE id = $1", [
      authFailed.integrationId,
    ]);
    const ran = worker.nextOutcome(due.integrationId);
    const result = await worker.dispatch();
    expect(result.due).toBe(1);
    expect(await ran).toMatchObject({ kind: "succeeded", pointsWritten: 1 });
    expect(hits("/future")).toEqual([]);
    expect(hits("/disabled")).toEqual([]);
    expect(hits("/auth-failed")).toEqual([]);
    expect((await integrationState(admin, future.integrationId)).sync_status).toBe("IDLE");
    // Synced: no longer due.
    expect((await worker.dispatch()).due).toBe(0);
  });

  test("idempotent: the same run twice writes nothing new; an overlapping range updates in place", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/idempotent", [
      { status: 200, body: series([1, 2, 3]) },
      { status: 200, body: series([1, 2, 3]) },
      // From the cursor's day on (the window starts at the cursor minus the overlap): one changed, two new.
      { status: 200, body: series([30, 40, 50], 2) },
    ]);
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsWritten: 3 });
    // The same window again, as after a run whose cursor never advanced (a crash before commit).
    await admin.query("UPDATE integrations SET sync_cursor = NULL WHERE id = $1", [target.integrationId]);
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsFetched: 3, pointsWritten: 0 });
    expect((await pointsOf(admin, target.kpiId)).map((point) => point.value)).toEqual([1, 2, 3]);
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsFetched: 3, pointsWritten: 3 });
    expect((await pointsOf(admin, target.kpiId)).map((point) => point.value)).toEqual([1, 2, 30, 40, 50]);
    const counted = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM kpi_data_points WHERE kpi_id = $1",
      [target.kpiId],
    );
    expect(counted.rows[0]?.n).toBe(5);
  });

  test("overlap window: a late point at the cursor's instant is fetched, one before the window is not", async () => {
    const { admin } = context();
    const latest = "2026-11-20T12:00:00.000Z";
    const at = (iso: string, value: number) => ({ timestamp: iso, value });
    const target = await jsonIntegration("/overlap", [
      { status: 200, body: { data: { points: [at(latest, 1)] } } },
      // Late arrivals: one 60 s before the cursor (inside the 300 s overlap), one an hour before (outside).
      {
        status: 200,
        body: {
          data: { points: [at(latest, 1), at("2026-11-20T11:59:00.000Z", 7), at("2026-11-20T11:00:00.000Z", 9)] },
        },
      },
    ]);
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsWritten: 1 });
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsFetched: 2, pointsWritten: 1 });
    expect((await pointsOf(admin, target.kpiId)).map((point) => point.value)).toEqual([7, 1]);
    expect((await integrationState(admin, target.integrationId)).sync_cursor).toEqual({ latest });
  });

  test("a failure is recorded without secrets, FAILED with a count; retried after backoff until success", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/flaky", [
      { status: 503, body: { error: `upstream down, key ${secret}` } },
      { status: 200, body: series([4]) },
    ]);
    const second = syncNow(target).then(() => worker.nextOutcome(target.integrationId));
    const failed = worker.outcomes.length;
    const outcome = await second;
    expect(worker.outcomes.slice(failed).map((entry) => entry.outcome.kind)).toContain("failed");
    expect(outcome).toMatchObject({ kind: "succeeded", pointsWritten: 1 });
    const [first, retry] = hits("/flaky");
    // One failure: the delay is between half and all of the 1 s base.
    expect((retry ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(450);
    const runs = await admin.query<{ status: string; error_code: string | null; error_message: string | null }>(
      "SELECT status::text, error_code, error_message FROM sync_runs WHERE integration_id = $1 ORDER BY started_at",
      [target.integrationId],
    );
    expect(runs.rows.map((run) => [run.status, run.error_code])).toEqual([
      ["FAILED", "provider_unavailable"],
      ["SUCCEEDED", null],
    ]);
    expect(runs.rows[0]?.error_message).toContain("HTTP 503");
    const state = await integrationState(admin, target.integrationId);
    expect(state).toMatchObject({ sync_status: "SUCCEEDED", consecutive_failures: 0, last_error_code: null });
    expect(worker.logs.text).not.toContain(secret);
    expect(JSON.stringify(runs.rows)).not.toContain(secret);
  });

  test("Retry-After is honoured: the retry waits at least as long as the provider asked", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/rate-limited", [
      { status: 429, body: {}, headers: { "retry-after": "3" } },
      { status: 200, body: series([8]) },
    ]);
    const failed = await syncNow(target);
    expect(failed).toMatchObject({ kind: "failed", code: "provider_rate_limited", status: "FAILED" });
    const state = await integrationState(admin, target.integrationId);
    expect(state.consecutive_failures).toBe(1);
    // Due no sooner than the provider asked, counted from its answer.
    expect(state.next_sync_at?.getTime() ?? 0).toBeGreaterThanOrEqual((hits("/rate-limited")[0] ?? 0) + 3_000);
    expect(await worker.nextOutcome(target.integrationId)).toMatchObject({ kind: "succeeded" });
    const [first, retry] = hits("/rate-limited");
    expect((retry ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(2_900);
  });

  test("after N consecutive failures the integration is DISABLED and nothing runs it again", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/broken", [{ status: 500, body: {} }]);
    await syncNow(target);
    const disabled = await waitFor(
      async () => {
        const state = await integrationState(admin, target.integrationId);
        return state.sync_status === "DISABLED" ? state : null;
      },
      undefined,
      "the integration to be disabled",
    );
    expect(disabled).toMatchObject({
      consecutive_failures: testSyncSettings.maxConsecutiveFailures,
      last_error_code: "provider_unavailable",
      auth_failed_at: null,
    });
    const times = hits("/broken");
    expect(times).toHaveLength(testSyncSettings.maxConsecutiveFailures);
    // Backoff: each wait at least half the (doubling) ceiling.
    for (let index = 1; index < times.length; index++)
      expect((times[index] ?? 0) - (times[index - 1] ?? 0)).toBeGreaterThanOrEqual(450);
    await admin.query("UPDATE integrations SET next_sync_at = now() - interval '1 minute' WHERE id = $1", [
      target.integrationId,
    ]);
    expect((await worker.dispatch()).due).toBe(0);
    // A job sent anyway is taken and skipped, without a fetch.
    expect(await syncNow(target)).toEqual({ kind: "skipped" });
    expect(hits("/broken")).toHaveLength(testSyncSettings.maxConsecutiveFailures);
  });

  test("a 401 disables at once and marks the credentials as failed", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/unauthorised", [{ status: 401, body: { message: "bad credentials" } }]);
    expect(await syncNow(target)).toMatchObject({
      kind: "failed",
      code: "provider_auth",
      status: "DISABLED",
      retryAt: null,
    });
    const state = await integrationState(admin, target.integrationId);
    expect(state.sync_status).toBe("DISABLED");
    expect(state.auth_failed_at).not.toBeNull();
    expect(state.consecutive_failures).toBe(1);
    expect(state.last_error_message).toMatch(/refused the credentials/);
  });

  test("the run history is pruned to the newest N runs", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/history", [{ status: 200, body: series([1]) }]);
    for (let run = 0; run < testSyncSettings.runHistory + 2; run++) await syncNow(target);
    const runs = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1",
      [target.integrationId],
    );
    expect(runs.rows[0]?.n).toBe(testSyncSettings.runHistory);
  });

  test("a user who disables the integration or changes its interval during a run keeps their word", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/changed-mid-run", [{ status: 200, body: series([1]), held: true }]);
    const outcome = syncNow(target);
    // The provider holds the run's fetch until the user's change is in.
    await waitFor(() => Promise.resolve(gate.held > 0), undefined, "the run to start fetching");
    const changed = Date.now();
    await admin.query("UPDATE integrations SET sync_status = 'DISABLED', sync_interval_seconds = 600 WHERE id = $1", [
      target.integrationId,
    ]);
    gate.release();
    expect(await outcome).toMatchObject({ kind: "succeeded", pointsWritten: 1 });
    const finished = Date.now();
    const state = await integrationState(admin, target.integrationId);
    expect(state.sync_status).toBe("DISABLED");
    // The new interval, counted from the run's end.
    expect(state.next_sync_at?.getTime()).toBeGreaterThanOrEqual(changed + 600_000);
    expect(state.next_sync_at?.getTime()).toBeLessThanOrEqual(finished + 600_000);
  });

  test("credentials copied from another integration do not open: DISABLED, nothing fetched", async () => {
    const { admin } = context();
    const source = await jsonIntegration("/copied-source", [{ status: 200, body: series([1]) }]);
    const target = await jsonIntegration("/copied-target", [{ status: 200, body: series([1]) }]);
    await admin.query(
      "UPDATE integrations SET credentials = (SELECT credentials FROM integrations WHERE id = $1) WHERE id = $2",
      [source.integrationId, target.integrationId],
    );
    expect(await syncNow(target)).toMatchObject({ kind: "failed", code: "credentials_unreadable", status: "DISABLED" });
    expect(hits("/copied-target")).toEqual([]);
  });

  test("credentials sealed for one origin, with a URL pointed at another: nothing is sent there; DISABLED, saying why", async () => {
    const { admin } = context();
    const elsewhere = await startProviderServer((_request, response) => {
      json(response, 200, series([1]));
    });
    try {
      const tenant = await createTenant(admin, 1);
      // As an admin's URL-only edit left it: sealed for the provider's origin, config naming another.
      const integrationId = await createIntegration(admin, tenant.workspaceId, {
        provider: "http-json",
        credentials: { headerName: "x-api-key", headerValue: secret },
        sealedFor: { url: script("/sealed-origin", { status: 200, body: series([1]) }), valuePath: "$.data.points" },
        config: { url: `${elsewhere.url}/collect`, valuePath: "$.data.points" },
        metrics: { value: tenant.kpiIds[0] ?? "" },
      });
      expect(await syncNow({ workspaceId: tenant.workspaceId, integrationId })).toMatchObject({
        kind: "failed",
        code: "credentials_unreadable",
        status: "DISABLED",
      });
      expect(elsewhere.requests).toEqual([]);
      expect(hits("/sealed-origin")).toEqual([]);
      const state = await integrationState(admin, integrationId);
      expect(state.last_error_message).toMatch(/entered for another address .*enter them again/);
      expect(await pointsOf(admin, tenant.kpiIds[0] ?? "")).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});

describe("tenancy", () => {
  test("a KPI mapping tampered to point into another workspace never writes there", async () => {
    const { admin, db } = context();
    const target = await jsonIntegration("/tampered", [{ status: 200, body: series([1, 2]) }]);
    const other = await createTenant(admin, 1);
    const otherKpi = other.kpiIds[0] ?? "";
    // The superuser bypasses the composite foreign key (replica mode skips FK triggers).
    const client = await admin.connect();
    try {
      await client.query("SET session_replication_role = replica");
      await client.query("UPDATE integration_metrics SET kpi_id = $1 WHERE integration_id = $2", [
        otherKpi,
        target.integrationId,
      ]);
      await client.query("RESET session_replication_role");
    } finally {
      client.release();
    }
    const outcome = await syncNow(target);
    expect(outcome).toMatchObject({ kind: "succeeded", pointsWritten: 0 });
    expect(await pointsOf(admin, otherKpi)).toEqual([]);
    expect(await pointsOf(admin, target.kpiId)).toEqual([]);

    // Moved wholesale into the other workspace, the mapping is invisible to the worker.
    await client.query("SELECT 1").catch(() => undefined);
    const moved = await admin.connect();
    try {
      await moved.query("SET session_replication_role = replica");
      await moved.query("UPDATE integration_metrics SET workspace_id = $1 WHERE integration_id = $2", [
        other.workspaceId,
        target.integrationId,
      ]);
      await moved.query("RESET session_replication_role");
    } finally {
      moved.release();
    }
    expect(await syncNow(target)).toMatchObject({ kind: "succeeded", pointsWritten: 0 });
    expect(await pointsOf(admin, otherKpi)).toEqual([]);

    // And were the worker itself to try, the database refuses: the worker role in workspace A's
    // context cannot write a point for workspace B's KPI.
    await expect(
      db.withWorkerContext(target.workspaceId, (tx) =>
        store.upsertPoints(tx, target.workspaceId, target.integrationId, [
          { kpiId: otherKpi, timestamp: new Date(), value: 1 },
        ]),
      ),
    ).rejects.toMatchObject({ kind: "foreign_key_violation" });
    await expect(
      db.withWorkerContext(target.workspaceId, (tx) =>
        store.upsertPoints(tx, other.workspaceId, target.integrationId, [
          { kpiId: otherKpi, timestamp: new Date(), value: 1 },
        ]),
      ),
    ).rejects.toMatchObject({ kind: "permission_denied" });
    expect(await pointsOf(admin, otherKpi)).toEqual([]);
  });

  test("a job naming an integration with the wrong workspace touches nothing", async () => {
    const { admin } = context();
    const target = await jsonIntegration("/wrong-workspace", [{ status: 200, body: series([1]) }]);
    const other = await createTenant(admin, 0);
    const outcome = worker.nextOutcome(target.integrationId);
    await sendSync(worker.boss, {
      workspaceId: other.workspaceId,
      integrationId: target.integrationId,
      reason: "requested",
    });
    expect(await outcome).toEqual({ kind: "skipped" });
    expect(hits("/wrong-workspace")).toEqual([]);
    expect((await integrationState(admin, target.integrationId)).sync_status).toBe("IDLE");
  });
});
