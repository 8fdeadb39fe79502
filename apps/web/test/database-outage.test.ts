import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyPair } from "@northstar/db";
import { type DatabaseServer, databaseUrlWith, migrate, startEmbeddedServer } from "@northstar/db/server";
import {
  createDatabaseFromTemplate,
  createTestDatabase,
  ensureTestLogin,
  operatorPool,
  type TestDatabase,
} from "@northstar/db/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  arrangeIntegration,
  arrangeOwner,
  type CallAnswer,
  type ChildService,
  type HostProcess,
  logLines,
  mutate,
  type Owner,
  startHostProcess,
  startWorkerProcess,
} from "./host-process.ts";

// PostgreSQL stopped (fast shutdown) and started again under the real host and worker processes,
// while writes go on: the host answers 503 with Retry-After while the database is away, and its
// readiness probe says so; once the database is back, it recovers by itself, every write it
// acknowledged is there exactly once, and the sync the worker had in flight finishes. The server
// is this test's own embedded PostgreSQL 17, never the machine's.

const pointCount = 30;
const keys = generateKeyPair("outage");
// Hourly points of the last day and a bit: inside the worker's backfill window.
const firstHour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - pointCount * 3_600_000;
const series = {
  points: Array.from({ length: pointCount }, (_, index) => ({
    timestamp: new Date(firstHour + index * 3_600_000).toISOString(),
    value: index,
  })),
};

let parent = "";
let serverOptions: { dataDir: string; port: number; persistent: boolean };
let server: DatabaseServer | null = null;
let database: TestDatabase;
let admin: ReturnType<typeof operatorPool> | null = null;
let host: HostProcess | null = null;
let worker: ChildService | null = null;
let provider: { url: string; close: () => Promise<void>; requests: (path: string) => number } | null = null;
// The provider's answers wait here, by path, until the test lets them through.
const held = new Map<string, ServerResponse[]>();
const openPaths = new Set<string>();

/** Lets `path`'s held answers (and later ones) through; resolves once they are written out. */
async function release(path: string): Promise<void> {
  openPaths.add(path);
  await Promise.all(
    (held.get(path)?.splice(0) ?? []).map(
      (response) =>
        new Promise<void>((resolve) => {
          response.once("finish", resolve);
          answer(response);
        }),
    ),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no free port"));
      });
    });
  });
}

function answer(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(series));
}

async function startProvider() {
  const requests = new Map<string, number>();
  const http = createHttpServer((request, response) => {
    const path = request.url ?? "/";
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (openPaths.has(path)) answer(response);
    else held.set(path, [...(held.get(path) ?? []), response]);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  if (!address || typeof address !== "object") throw new Error("provider has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: (path: string) => requests.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          resolve();
        });
      }),
  };
}

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), "northstar-outage-"));
  serverOptions = { dataDir: path.join(parent, "data"), port: await freePort(), persistent: true };
  server = await startEmbeddedServer(serverOptions);
  const serverUrl = server.urlFor("postgres");
  await createDatabaseFromTemplate(serverUrl, "template0", "northstar_outage_template");
  await migrate(databaseUrlWith(serverUrl, "northstar_outage_template"));
  await ensureTestLogin(serverUrl);
  database = await createTestDatabase(serverUrl, "northstar_outage_template");
  admin = operatorPool(database.adminUrl);
  // An idle superuser connection dies with the server too; its pool replaces it.
  admin.on("error", () => undefined);
  provider = await startProvider();
  host = await startHostProcess({
    appDatabaseUrl: database.hostUrl,
    credentialsPublicKey: keys.publicKey,
    // A small pool: a dead connection handed out again, or a slot never given back after the
    // restart, would be met at once rather than hidden among many.
    env: { DATABASE_POOL_SIZE: "4" },
  });
  worker = await startWorkerProcess({
    workerDatabaseUrl: database.workerUrl,
    credentialsPrivateKeys: keys.privateKey,
    env: { WORKER_LEASE_SECONDS: "15", WORKER_HEARTBEAT_SECONDS: "10", WORKER_RUN_TIMEOUT_SECONDS: "600" },
  });
});

afterAll(async () => {
  await Promise.all([...held.keys()].map((path) => release(path)));
  host?.kill();
  worker?.kill();
  await Promise.all([host?.exited, worker?.exited]);
  await admin?.end();
  await provider?.close();
  await server?.stop();
  if (parent) await rm(parent, { recursive: true, force: true });
});

/** Polls `probe` until it returns something, within a bound that only guards against a hang. */
async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a failed wait shows: the answers writes got lately, and the processes' last words. */
let diagnostics = () => "";

interface Write {
  kpiId: string;
  timestamp: string;
  started: number;
  answer: CallAnswer | { status: 0; error: string };
}

/**
 * One writer per owner, recording data points one after another, each with its own timestamp, into
 * a ledger. Each paces itself under the host's write budget per person (2 a second): a refusal
 * here must come from the outage, not from the rate limit.
 */
function startWriters(runningHost: HostProcess, owners: Owner[]) {
  const ledger: Write[] = [];
  let stopped = false;
  let sequence = 0;
  const base = Date.UTC(2020, 0, 1);
  async function writer(owner: Owner): Promise<void> {
    const kpiId = owner.kpiIds[0] ?? "";
    while (!stopped) {
      const timestamp = new Date(base + sequence++ * 60_000).toISOString();
      const started = Date.now();
      let answer: Write["answer"];
      try {
        answer = await mutate(runningHost, owner.cookie, "kpi.recordPoint", {
          workspaceId: owner.workspaceId,
          kpiId,
          value: 1,
          timestamp,
        });
      } catch (error) {
        answer = { status: 0, error: String(error) };
      }
      ledger.push({ kpiId, timestamp, started, answer });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const running = owners.map((owner) => writer(owner));
  return {
    ledger,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

async function readiness(runningHost: HostProcess): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${runningHost.url}/readyz`);
  return { status: response.status, body: await response.json() };
}

test("PostgreSQL stopped and started again: 503 with Retry-After meanwhile, recovery by itself, no acknowledged write lost, the in-flight sync finishes", {
  timeout: 900_000,
}, async () => {
  if (!host || !worker || !admin || !provider || !server) throw new Error("not started");
  const runningHost = host;
  const pool = admin;
  const owner = await arrangeOwner(pool, 2);
  // Two syncs held mid-flight at the provider: one let go while the database is down (its write
  // fails, and the job must be retried), one once it is back (its run carries on).
  const syncs = await Promise.all(
    (["during", "after"] as const).map(async (when, index) => {
      const kpiId = owner.kpiIds[index] ?? "";
      const integrationId = await arrangeIntegration(pool, owner, {
        url: `${provider?.url ?? ""}/${when}`,
        kpiId,
        credentialsPublicKey: keys.publicKey,
      });
      return { when, path: `/${when}`, kpiId, integrationId };
    }),
  );

  const writerOwners = await Promise.all(Array.from({ length: 4 }, () => arrangeOwner(pool, 1)));
  const writers = startWriters(runningHost, writerOwners);
  diagnostics = () => {
    const answers = new Map<string, number>();
    for (const write of writers.ledger.slice(-200)) {
      const key = JSON.stringify(write.answer).slice(0, 300);
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
    return [
      "last answers:",
      ...[...answers].map(([key, n]) => `  ${n} x ${key}`),
      "host:",
      runningHost.output().slice(-3_000),
      "worker:",
      worker?.output().slice(-3_000) ?? "",
    ].join("\n");
  };
  const acknowledged = () => writers.ledger.filter((write) => write.answer.status === 200).length;
  await until(() => (acknowledged() >= 12 ? true : undefined), "writes before the outage");

  // Both syncs mid-flight: the worker holds the jobs, their provider requests wait at the test's gate.
  const runningProvider = provider;
  for (const sync of syncs) {
    const pressed = await mutate(runningHost, owner.cookie, "integration.syncNow", {
      workspaceId: owner.workspaceId,
      integrationId: sync.integrationId,
    });
    expect(pressed.status).toBe(200);
    await until(
      () => (runningProvider.requests(sync.path) > 0 ? true : undefined),
      `the worker to start fetching ${sync.path}`,
    );
  }

  // The stop: PostgreSQL's fast shutdown (SIGINT), which ends every session at once.
  const stopStarted = Date.now();
  await server.stop();
  server = null;
  const stopped = Date.now();

  const firstRefusal = await until(
    () => writers.ledger.find((write) => write.started >= stopped && write.answer.status === 503) ?? undefined,
    "a write refused with 503 while the database is down",
    60_000,
  );
  const timeTo503 = firstRefusal.started - stopStarted;
  const refused = firstRefusal.answer;
  expect(refused).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE" });
  expect("retryAfter" in refused && Number(refused.retryAfter)).toBeGreaterThan(0);
  expect("message" in refused ? refused.message : "").toMatch(/database|try again/i);
  const notReady = await readiness(runningHost);
  expect(notReady).toEqual({ status: 503, body: { status: "unavailable", reason: "The database is not reachable." } });
  // What needs no database still works: the process is up, and the web app's page is served.
  expect((await fetch(`${runningHost.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${runningHost.url}/`)).status).toBe(200);
  // Down until every writer has been refused three times: the outage is met by all, and lasts.
  await until(() => {
    const refusals = new Map<string, number>();
    for (const write of writers.ledger)
      if (write.started >= stopped && write.answer.status === 503)
        refusals.set(write.kpiId, (refusals.get(write.kpiId) ?? 0) + 1);
    return refusals.size === writerOwners.length && [...refusals.values()].every((n) => n >= 3) ? true : undefined;
  }, "every writer to be refused while the database is down");

  // One held sync gets its answer now: the worker can neither write its points nor record the
  // failure, and the job must be retried once the database is back.
  await release("/during");

  // The start, on the same port and data folder.
  const startStarted = Date.now();
  server = await startEmbeddedServer(serverOptions);
  const started = Date.now();
  const firstAcknowledged = await until(
    () => writers.ledger.find((write) => write.started >= started && write.answer.status === 200) ?? undefined,
    "a write acknowledged after the database is back",
  );
  const timeToRecovery = firstAcknowledged.started - startStarted;
  await until(async () => ((await readiness(runningHost)).status === 200 ? true : undefined), "readiness again");

  // The other held sync may now end. Both runs (or their retries) write every point, once.
  await release("/after");
  const syncStarted = Date.now();
  const runsOf = async (integrationId: string) =>
    (
      await pool.query<{ status: string; error_code: string | null }>(
        "SELECT status::text, error_code FROM sync_runs WHERE integration_id = $1 ORDER BY started_at",
        [integrationId],
      )
    ).rows;
  const finished: Record<string, { runs: string; ms: number }> = {};
  for (const sync of syncs) {
    await until(
      async () => {
        const state = await pool.query<{ sync_status: string; points: number; distinct_points: number }>(
          `SELECT i.sync_status::text,
                  (SELECT count(*)::int FROM kpi_data_points p WHERE p.kpi_id = $2) AS points,
                  (SELECT count(DISTINCT "timestamp")::int FROM kpi_data_points p WHERE p.kpi_id = $2) AS distinct_points
             FROM integrations i WHERE i.id = $1`,
          [sync.integrationId, sync.kpiId],
        );
        const row = state.rows[0];
        return row?.sync_status === "SUCCEEDED" && row.points === pointCount && row.distinct_points === pointCount
          ? row
          : undefined;
      },
      `the sync released ${sync.when} the outage to finish`,
      600_000,
    );
    const runs = await runsOf(sync.integrationId);
    expect(runs.at(-1)).toEqual({ status: "SUCCEEDED", error_code: null });
    finished[sync.when] = {
      runs: runs.map((run) => `${run.status}${run.error_code ? `(${run.error_code})` : ""}`).join(" > "),
      ms: Date.now() - syncStarted,
    };
  }

  // Writes after recovery keep succeeding; then the ledger is checked against the database.
  const afterRecovery = acknowledged();
  await until(() => (acknowledged() >= afterRecovery + 8 ? true : undefined), "writes after recovery");
  await writers.stop();
  const rows = await pool.query<{ kpi_id: string; timestamp: Date; copies: number }>(
    `SELECT kpi_id::text, "timestamp", count(*)::int AS copies FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[])
      GROUP BY kpi_id, "timestamp"`,
    [writerOwners.map((writerOwner) => writerOwner.kpiIds[0])],
  );
  const stored = new Map(rows.rows.map((row) => [`${row.kpi_id} ${row.timestamp.toISOString()}`, row.copies]));
  const storedCopies = (write: Write) => stored.get(`${write.kpiId} ${write.timestamp}`);
  const acknowledgedWrites = writers.ledger.filter((write) => write.answer.status === 200);
  const lost = acknowledgedWrites.filter((write) => storedCopies(write) !== 1);
  const unacknowledged = writers.ledger.filter((write) => write.answer.status !== 200);
  const byStatus = new Map<number, number>();
  for (const write of unacknowledged) byStatus.set(write.answer.status, (byStatus.get(write.answer.status) ?? 0) + 1);
  // Committed, but the answer never came back: allowed (the client retries and meets a conflict), and counted.
  const writtenUnacknowledged = unacknowledged.filter((write) => storedCopies(write) !== undefined).length;

  console.log(
    `database outage: down ${startStarted - stopped} ms; 503 ${timeTo503} ms after the stop began; recovered (first acknowledged write) ` +
      `${timeToRecovery} ms after the start began (PostgreSQL took ${started - startStarted} ms to start); ` +
      `writes: ${writers.ledger.length} sent, ${acknowledgedWrites.length} acknowledged, ${lost.length} lost, ` +
      `${unacknowledged.length} refused (${[...byStatus].map(([status, n]) => `${n} x ${status}`).join(", ")}), ` +
      `${writtenUnacknowledged} of those written anyway; sync answered during the outage: runs ${finished.during?.runs}, ` +
      `done ${finished.during?.ms} ms after the restart; sync answered after it: runs ${finished.after?.runs}`,
  );

  expect(lost).toEqual([]);
  // Nothing but 503: no 500, no dropped connection, no hang. A failure names the host's errors.
  const hostErrors = logLines(runningHost).filter((line) => Number(line.level) >= 50);
  expect([...byStatus.keys()], JSON.stringify(hostErrors)).toEqual(unacknowledged.length > 0 ? [503] : []);
  expect(unacknowledged.every((write) => "retryAfter" in write.answer && write.answer.retryAfter !== null)).toBe(true);
  // Neither process died: both recovered in place.
  expect(runningHost.child.exitCode).toBeNull();
  expect(worker.child.exitCode).toBeNull();
  expect(logLines(runningHost).some((line) => line.level === 60)).toBe(false);
});
