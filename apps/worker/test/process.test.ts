import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import {
  createIntegration,
  createTenant,
  Gate,
  integrationState,
  json,
  keyringEnv,
  pointsOf,
  type ProviderServer,
  sendAsHost,
  startProviderServer,
  startTestWorker,
  type TestWorker,
  waitFor,
} from "./support.ts";

// The worker as a real process (src/main.ts, as deployed): killed with SIGKILL mid-run, its job is
// retried by another worker with no duplicate and no lost point; stopped with SIGTERM, it lets a
// run finish, or releases it when the run outlasts the grace period, and loses no job.

const context = useTestDatabase("worker");
const workerRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pointCount = 50;

let provider: ProviderServer;
// Requests wait at the gate (the run is "mid-flight") until the test opens it, or never: then the
// run stays mid-flight until its process dies.
const gate = new Gate();
const children: ChildProcess[] = [];
let survivor: TestWorker | null = null;

// Hourly points over the last two days and a bit: inside every worker's backfill window.
const firstHour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - pointCount * 3_600_000;
const series = {
  points: Array.from({ length: pointCount }, (_, index) => ({
    timestamp: new Date(firstHour + index * 3_600_000).toISOString(),
    value: index,
  })),
};

beforeAll(async () => {
  provider = await startProviderServer(async (_request, response) => {
    await gate.pass();
    json(response, 200, series);
  });
});

afterEach(async () => {
  gate.reset();
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await survivor?.stop(5_000);
  survivor = null;
});

afterAll(async () => {
  await provider.close();
});

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(extraEnv: Record<string, string> = {}): WorkerProcess {
  let output = "";
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: workerRoot,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      WORKER_DATABASE_URL: context().database.workerUrl,
      NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv,
      WORKER_HTTP_PORT: "0",
      // The provider is a server on 127.0.0.1.
      WORKER_ALLOW_PRIVATE_NETWORK: "1",
      WORKER_LEASE_SECONDS: "15",
      WORKER_HEARTBEAT_SECONDS: "10",
      // Far above the heartbeat and lease: a recovery within the test's wait came from those, not
      // from pg-boss expiring the job (run timeout + 60 s).
      WORKER_RUN_TIMEOUT_SECONDS: "600",
      WORKER_DISPATCH_CRON: "0 0 1 1 *",
      WORKER_RESEAL_CRON: "0 0 1 1 *",
      LOG_LEVEL: "info",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    }),
  );
  return { child, output: () => output, exited };
}

async function arrange() {
  const { admin } = context();
  const tenant = await createTenant(admin, 1);
  const kpiId = tenant.kpiIds[0] ?? "";
  const integrationId = await createIntegration(admin, tenant.workspaceId, {
    provider: "http-json",
    credentials: {},
    config: { url: `${provider.url}/series`, valuePath: "$.points" },
    metrics: { value: kpiId },
  });
  return { workspaceId: tenant.workspaceId, integrationId, kpiId };
}

/** A worker process with a sync of a fresh integration mid-run (its fetch held at the gate). */
async function workerMidRun(extraEnv: Record<string, string> = {}) {
  const target = await arrange();
  const worker = spawnWorker(extraEnv);
  await waitFor(
    () => Promise.resolve(worker.output().includes("worker started")),
    120_000,
    "the child worker to start",
  );
  const seen = provider.requests.length;
  await sendAsHost(context(), { ...target, reason: "requested" });
  await waitFor(() => Promise.resolve(provider.requests.length > seen), 120_000, "the child to start fetching");
  return { target, worker };
}

/** Opens the gate, starts a worker in this process, and waits for it to finish the target's sync. */
async function survivorFinishes(target: { integrationId: string }, timeoutMs: number, what: string) {
  gate.release({ stayOpen: true });
  survivor = await startTestWorker(context());
  const done = await waitFor(
    () =>
      Promise.resolve(
        survivor?.outcomes.find(
          (entry) => entry.integrationId === target.integrationId && entry.outcome.kind === "succeeded",
        ),
      ),
    timeoutMs,
    what,
  );
  expect(done.outcome).toMatchObject({ kind: "succeeded", pointsWritten: pointCount });
}

test("a worker killed with SIGKILL mid-run: another worker retries the job; no duplicate, no lost point", {
  timeout: 400_000,
}, async () => {
  const { admin } = context();
  const { target, worker: doomed } = await workerMidRun();
  expect((await integrationState(admin, target.integrationId)).sync_status).toBe("SYNCING");

  doomed.child.kill("SIGKILL");
  expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
  // pg-boss notices the silent worker by its heartbeat (10 s) and the lease expires (15 s); the
  // job's own expiry (660 s) is past this wait, so a recovery here came from those two.
  await survivorFinishes(target, 300_000, "another worker to finish the killed worker's sync");
  const points = await pointsOf(admin, target.kpiId);
  expect(points).toHaveLength(pointCount);
  expect(new Set(points.map((point) => point.timestamp.toISOString())).size).toBe(pointCount);
  const runs = await admin.query<{ status: string; error_code: string | null }>(
    "SELECT status::text, error_code FROM sync_runs WHERE integration_id = $1 ORDER BY started_at",
    [target.integrationId],
  );
  expect(runs.rows).toEqual([
    { status: "FAILED", error_code: "interrupted" },
    { status: "SUCCEEDED", error_code: null },
  ]);
  expect(await integrationState(admin, target.integrationId)).toMatchObject({
    sync_status: "SUCCEEDED",
    lease_token: null,
  });
});

test("SIGTERM lets a running sync finish, then the process exits 0", { timeout: 180_000 }, async () => {
  const { admin } = context();
  // A grace period no loaded machine outlasts: the run ends because it finished, not because time ran out.
  const { target, worker } = await workerMidRun({ WORKER_SHUTDOWN_SECONDS: "3600" });
  worker.child.kill("SIGTERM");
  // The provider answers only once the worker is shutting down: the run finishes during the shutdown.
  await waitFor(() => Promise.resolve(worker.output().includes("shutting down")), 60_000, "the shutdown to begin");
  gate.release({ stayOpen: true });
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  expect((await pointsOf(admin, target.kpiId)).length).toBe(pointCount);
  expect(await integrationState(admin, target.integrationId)).toMatchObject({
    sync_status: "SUCCEEDED",
    lease_token: null,
  });
});

test("SIGTERM with a run that outlasts the grace period: released (due now), exits 0, and another worker runs it", {
  timeout: 400_000,
}, async () => {
  const { admin } = context();
  const { target, worker } = await workerMidRun({ WORKER_SHUTDOWN_SECONDS: "2" });
  worker.child.kill("SIGTERM");
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  const released = await integrationState(admin, target.integrationId);
  expect(released).toMatchObject({ sync_status: "QUEUED", lease_token: null, consecutive_failures: 0 });
  expect(released.next_sync_at?.getTime()).toBeLessThanOrEqual(Date.now());
  // The failed-on-shutdown job is retried by pg-boss; the dispatcher would also find it due.
  await survivorFinishes(target, 120_000, "the released sync to run again");
});
