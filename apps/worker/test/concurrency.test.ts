import { sendSync } from "@northstar/db/queue";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { pino } from "pino";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createMetrics } from "../src/metrics.ts";
import { createConnectors } from "../src/providers/index.ts";
import { createNetwork } from "../src/providers/network.ts";
import { ProviderLimiter } from "../src/sync/limiter.ts";
import { runSync } from "../src/sync/run.ts";
import {
  createIntegration,
  createTenant,
  testSyncSettings,
  Gate,
  json,
  pointsOf,
  type ProviderServer,
  startProviderServer,
  startTestWorker,
  type TestWorker,
  testKeyring,
  waitFor,
} from "./support.ts";

// Two workers never run one integration at once (the stately queue, and under it the lease); one
// workspace's many integrations cannot starve another's; a provider's concurrency is capped.

const context = useTestDatabase("worker");
let provider: ProviderServer;
const inFlight = new Map<string, number>();
const maxInFlight = new Map<string, number>();
let totalInFlight = 0;
let maxTotal = 0;
const finished: Array<{ path: string; at: number }> = [];
// Paths under /held/ wait at the gate instead of on a timer: the test decides when they answer.
const gate = new Gate();

// The same two points in every answer, inside the first sync's window (30 days back) whatever
// today is: fixed dates fell out of it as the calendar moved on.
const pointDay = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
const pointDays = [new Date(pointDay).toISOString(), new Date(pointDay + 86_400_000).toISOString()];

beforeAll(async () => {
  provider = await startProviderServer(async (_request, response, url) => {
    const key = url.pathname;
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key) ?? 0));
    totalInFlight++;
    maxTotal = Math.max(maxTotal, totalInFlight);
    if (key.startsWith("/held/")) await gate.pass();
    else await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("delay") ?? "300")));
    inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    totalInFlight--;
    finished.push({ path: key, at: Date.now() });
    json(response, 200, {
      points: [
        { timestamp: pointDays[0], value: 1 },
        { timestamp: pointDays[1], value: 2 },
      ],
    });
  });
});

afterAll(async () => {
  await provider.close();
});

async function integration(workspaceId: string, kpiId: string, path: string, delayMs = 300) {
  return createIntegration(context().admin, workspaceId, {
    provider: "http-json",
    credentials: {},
    config: { url: `${provider.url}${path}?delay=${delayMs}`, valuePath: "$.points" },
    metrics: { value: kpiId },
  });
}

test("the lease: two runs of one integration at once (a job past its expiry and its retry) run it once", async () => {
  const { admin, db } = context();
  const tenant = await createTenant(admin, 1);
  const integrationId = await integration(tenant.workspaceId, tenant.kpiIds[0] ?? "", "/lease", 500);
  const logger = pino({ level: "silent" });
  const deps = {
    database: db,
    keyring: testKeyring,
    connectors: createConnectors(),
    network: createNetwork({ allowPrivate: true }),
    settings: testSyncSettings,
    limiter: new ProviderLimiter(4),
    logger,
    metrics: createMetrics(() => Promise.resolve()),
  };
  const job = { workspaceId: tenant.workspaceId, integrationId, reason: "requested" as const };
  const started = Date.now();
  const outcomes = await Promise.all([
    runSync(deps, job, new AbortController().signal),
    runSync(deps, job, new AbortController().signal),
  ]);
  expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(["busy", "succeeded"]);
  const busy = outcomes.find((outcome) => outcome.kind === "busy");
  // The loser is told to come back once the winner's lease (taken after `started`) would have expired.
  if (busy?.kind === "busy")
    expect(busy.retryAt.getTime()).toBeGreaterThanOrEqual(started + testSyncSettings.leaseSeconds * 1000);
  expect(maxInFlight.get("/lease")).toBe(1);
  expect((await pointsOf(admin, tenant.kpiIds[0] ?? "")).length).toBe(2);
  const runs = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1", [
    integrationId,
  ]);
  expect(runs.rows[0]?.n).toBe(1);
});

test("two workers, many requests for the same integrations: never two runs of one integration at once", async () => {
  const { admin } = context();
  const workers: TestWorker[] = [await startTestWorker(context()), await startTestWorker(context())];
  try {
    const tenants = await Promise.all([createTenant(admin, 1), createTenant(admin, 1), createTenant(admin, 1)]);
    const targets = await Promise.all(
      tenants.map(async (tenant, index) => ({
        workspaceId: tenant.workspaceId,
        integrationId: await integration(tenant.workspaceId, tenant.kpiIds[0] ?? "", `/pair-${index}`, 400),
      })),
    );
    // Both workers' queues hammered with requests for the same three integrations until each has
    // run at least three times (however long the machine's load makes that).
    const runsOf = (index: number) => finished.filter((entry) => entry.path === `/pair-${index}`).length;
    await waitFor(
      async () => {
        for (const target of targets) {
          for (const worker of workers) await sendSync(worker.boss, { ...target, reason: "requested" });
        }
        return [0, 1, 2].every((index) => runsOf(index) >= 3);
      },
      180_000,
      "three runs of each integration",
    );
    await waitFor(
      async () =>
        totalInFlight === 0 &&
        (await admin.query("SELECT 1 FROM integrations WHERE lease_token IS NOT NULL")).rowCount === 0,
      60_000,
      "the runs to settle",
    );
    for (const index of [0, 1, 2]) {
      expect(maxInFlight.get(`/pair-${index}`), `integration ${index}`).toBe(1);
      expect(runsOf(index)).toBeGreaterThanOrEqual(2);
    }
    const ran = workers.map((worker) => worker.outcomes.filter((entry) => entry.outcome.kind === "succeeded").length);
    expect(ran.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(6);
    for (const tenant of tenants) expect((await pointsOf(admin, tenant.kpiIds[0] ?? "")).length).toBe(2);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop(5_000)));
  }
});

test("fairness: a workspace with many due integrations holds back no other, and runs at most N at once", async () => {
  const { admin } = context();
  const worker = await startTestWorker(context(), { concurrency: 4, workspaceConcurrency: 2 });
  try {
    const busy = await createTenant(admin, 1);
    const quiet = await createTenant(admin, 1);
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        integration(busy.workspaceId, busy.kpiIds[0] ?? "", `/held/busy-${index}`),
      ),
    );
    const single = await integration(quiet.workspaceId, quiet.kpiIds[0] ?? "", "/quiet", 500);
    for (const integrationId of many)
      await sendSync(worker.boss, { workspaceId: busy.workspaceId, integrationId, reason: "scheduled" });
    // The busy workspace at its cap: two fetches held.
    await waitFor(() => Promise.resolve(gate.held >= 2), 120_000, "two of the busy workspace's fetches");
    const quietDone = worker.nextOutcome(single, 120_000);
    await sendSync(worker.boss, { workspaceId: quiet.workspaceId, integrationId: single, reason: "scheduled" });
    // The busy workspace's fetches are held unanswered: the quiet one finishes while they all wait.
    expect(await quietDone).toMatchObject({ kind: "succeeded" });
    expect(finished.filter((entry) => entry.path.startsWith("/held/busy-"))).toEqual([]);
    expect(gate.held).toBe(2);
    gate.release({ stayOpen: true });
    await waitFor(
      () =>
        Promise.resolve(
          many.every((id) =>
            worker.outcomes.some((entry) => entry.integrationId === id && entry.outcome.kind === "succeeded"),
          ),
        ),
      180_000,
      "the busy workspace's runs",
    );
    // Never more than two of the busy workspace's fetches at once.
    let running = 0;
    let peak = 0;
    const events = worker.logs
      .lines()
      .filter((line) => line.workspaceId === busy.workspaceId && line.msg === "sync succeeded");
    expect(events.length).toBe(10);
    for (const line of worker.logs.lines()) {
      if (line.workspaceId !== busy.workspaceId) continue;
      if (line.msg === "sync started") peak = Math.max(peak, ++running);
      if (line.msg === "sync succeeded") running--;
    }
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThan(0);
  } finally {
    await worker.stop(5_000);
  }
});

test("per provider: at most N fetches against one provider at once in a process", async () => {
  const { admin } = context();
  const worker = await startTestWorker(context(), { concurrency: 6, providerConcurrency: 1, workspaceConcurrency: 4 });
  try {
    maxTotal = 0;
    const tenants = await Promise.all([createTenant(admin, 1), createTenant(admin, 1), createTenant(admin, 1)]);
    const ids = await Promise.all(
      tenants.map((tenant, index) => integration(tenant.workspaceId, tenant.kpiIds[0] ?? "", `/capped-${index}`, 300)),
    );
    const done = ids.map((id) => worker.nextOutcome(id));
    for (const [index, id] of ids.entries())
      await sendSync(worker.boss, {
        workspaceId: tenants[index]?.workspaceId ?? "",
        integrationId: id,
        reason: "scheduled",
      });
    expect((await Promise.all(done)).map((outcome) => outcome.kind)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(maxTotal).toBe(1);
  } finally {
    await worker.stop(5_000);
  }
});
