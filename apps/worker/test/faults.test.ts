import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createIntegration,
  createTenant,
  type IntegrationSpec,
  integrationState,
  json,
  keyringEnv,
  pointsOf,
  type ProviderServer,
  sendAsHost,
  startProviderServer,
  waitFor,
} from "./support.ts";

// Hostile providers against the worker as deployed (src/main.ts, a child process): connections
// reset mid-body, a chunked body that never ends, random bytes under the wrong content type, a
// second page that never arrives. Each sync ends FAILED with an error a person can act on, writes
// nothing (points read before the failure included), and the process's memory stays bounded.
// providers.test.ts covers the connectors alone (hang, declared-huge body, malformed JSON, 5xx).

const context = useTestDatabase("worker");
const workerRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const token = "ghp_faults0000000000000000000000000000";
const sizeLimit = 32 * 1024 * 1024;

let provider: ProviderServer;
let github: ProviderServer;
let worker: ChildProcess | null = null;
let output = "";
/** Bytes the endless body sent, per request, once its client went away. */
const endlessSent: number[] = [];

/** Writes 64 KiB chunks, as fast as the client reads them, until the client goes away. */
function endless(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, "1");
  let sent = 0;
  response.write('{"points":[');
  const pump = () => {
    while (!response.destroyed && response.write(chunk)) sent += chunk.byteLength;
    if (!response.destroyed) sent += chunk.byteLength;
  };
  response.on("drain", pump);
  response.once("close", () => endlessSent.push(sent));
  pump();
}

/** A valid start of a body, then the connection reset (no end, no error frame). */
function resetMidBody(response: ServerResponse, contentType: string, head: string): void {
  response.writeHead(200, { "content-type": contentType });
  response.write(head, () => {
    response.socket?.resetAndDestroy();
  });
}

const recentHour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
const csvRows = Array.from(
  { length: 2_000 },
  (_, index) => `${new Date(recentHour - index * 60_000).toISOString()},${index}\n`,
).join("");

beforeAll(async () => {
  provider = await startProviderServer((_request, response, url) => {
    if (url.pathname === "/reset.json") {
      resetMidBody(
        response,
        "application/json",
        `{"points":[${Array.from({ length: 500 }, (_, i) => `{"timestamp":"${new Date(recentHour - i * 60_000).toISOString()}","value":${i}}`).join(",")},`,
      );
      return;
    }
    if (url.pathname === "/reset.csv") {
      // 2,000 good rows read and parsed, then the rest never comes.
      resetMidBody(response, "text/csv", `timestamp,value\n${csvRows}`);
      return;
    }
    if (url.pathname === "/endless.json") {
      endless(response);
      return;
    }
    if (url.pathname === "/random.bin") {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(randomBytes(256 * 1024));
      return;
    }
    if (url.pathname === "/ok.json") {
      json(response, 200, { points: [{ timestamp: new Date(recentHour).toISOString(), value: 1 }] });
      return;
    }
    json(response, 404, {});
  });
  github = await startProviderServer((request, response, url) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      json(response, 401, { message: "Bad credentials" });
      return;
    }
    if (url.pathname === "/repos/acme/rocket") {
      json(response, 200, { stargazers_count: 1234, open_issues_count: 56 });
      return;
    }
    if (url.pathname === "/repos/acme/rocket/pulls") {
      const page = Number(url.searchParams.get("page") ?? "1");
      if (page === 1) {
        const base = `${github.url}${url.pathname}?state=closed&per_page=100`;
        json(
          response,
          200,
          [{ merged_at: new Date(recentHour).toISOString(), updated_at: new Date(recentHour).toISOString() }],
          { link: `<${base}&page=2>; rel="next", <${base}&page=2>; rel="last"` },
        );
      } else {
        resetMidBody(response, "application/json", '[{"merged_at":');
      }
      return;
    }
    json(response, 404, { message: "Not Found" });
  });

  worker = spawn(process.execPath, ["src/main.ts"], {
    cwd: workerRoot,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      WORKER_DATABASE_URL: context().database.workerUrl,
      NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv,
      WORKER_HTTP_PORT: "0",
      WORKER_ALLOW_PRIVATE_NETWORK: "1",
      WORKER_GITHUB_API_URL: github.url,
      // Far above reading 32 MiB on a loaded machine: the endless body ends at the size bound, not here.
      WORKER_HTTP_TIMEOUT_SECONDS: "600",
      WORKER_RUN_TIMEOUT_SECONDS: "1200",
      // One failure each: no retry runs during the test.
      WORKER_RETRY_BASE_SECONDS: "86400",
      WORKER_RETRY_MAX_SECONDS: "86400",
      WORKER_DISPATCH_CRON: "0 0 1 1 *",
      WORKER_RESEAL_CRON: "0 0 1 1 *",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  worker.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await waitFor(() => Promise.resolve(output.includes("worker started")), 180_000, "the worker to start");
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    const exited = new Promise((resolve) => worker?.once("exit", resolve));
    worker.kill("SIGKILL");
    await exited;
  }
  await provider.close();
  await github.close();
});

/** The worker process's resident memory, in bytes (Linux). */
async function workerRss(): Promise<number> {
  const status = await readFile(`/proc/${String(worker?.pid)}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error("no VmRSS for the worker");
  return Number(kib) * 1024;
}

interface Outcome {
  status: string;
  code: string | null;
  message: string | null;
  points: number;
}

interface Spec {
  provider: IntegrationSpec["provider"];
  credentials: Record<string, string>;
  config: Record<string, string>;
  /** The provider's metrics to map, each into a KPI of its own. */
  metricKeys: string[];
}

/** Syncs one integration of a fresh tenant (sent as the host sends "sync now") and waits for its run to end. */
async function syncOnce(spec: Spec): Promise<Outcome> {
  const { admin } = context();
  const tenant = await createTenant(admin, spec.metricKeys.length);
  const metrics = Object.fromEntries(spec.metricKeys.map((key, index) => [key, tenant.kpiIds[index] ?? ""]));
  const integrationId = await createIntegration(admin, tenant.workspaceId, { ...spec, metrics });
  await sendAsHost(context(), { workspaceId: tenant.workspaceId, integrationId, reason: "requested" });
  const run = await waitFor(
    async () => {
      const runs = await admin.query<{ status: string; error_code: string | null; error_message: string | null }>(
        "SELECT status::text, error_code, error_message FROM sync_runs WHERE integration_id = $1 AND finished_at IS NOT NULL",
        [integrationId],
      );
      return runs.rows[0];
    },
    300_000,
    `the sync of ${spec.config.url ?? spec.provider} to end`,
  );
  const state = await integrationState(admin, integrationId);
  let points = 0;
  for (const kpiId of tenant.kpiIds) points += (await pointsOf(admin, kpiId)).length;
  expect(state.last_error_code).toBe(run.error_code);
  return { status: run.status, code: run.error_code, message: run.error_message, points };
}

const httpJson = (file: string): Spec => ({
  provider: "http-json",
  credentials: {},
  config: { url: `${provider.url}/${file}`, valuePath: "$.points" },
  metricKeys: ["value"],
});

test("a working provider first: the worker syncs (the baseline the faults below are measured against)", {
  timeout: 300_000,
}, async () => {
  expect(await syncOnce(httpJson("ok.json"))).toEqual({ status: "SUCCEEDED", code: null, message: null, points: 1 });
});

test("a connection reset mid-body: FAILED, provider unreachable, and none of the points read before it written", {
  timeout: 300_000,
}, async () => {
  const outcome = await syncOnce(httpJson("reset.json"));
  expect(outcome).toMatchObject({ status: "FAILED", code: "provider_unavailable", points: 0 });
  expect(outcome.message).toMatch(/could not be reached/);

  // A CSV streams: 2,000 rows were parsed before the reset, and none of them is written.
  const csv = await syncOnce({
    provider: "csv",
    credentials: { url: `${provider.url}/reset.csv` },
    config: {},
    metricKeys: ["value"],
  });
  expect(csv).toMatchObject({ status: "FAILED", code: "provider_unavailable", points: 0 });
});

test("a second page that never arrives: the first page's points are not written either", {
  timeout: 300_000,
}, async () => {
  const outcome = await syncOnce({
    provider: "github",
    credentials: { token },
    config: { owner: "acme", repo: "rocket" },
    metricKeys: ["stars", "open_issues", "merged_prs_per_day"],
  });
  expect(outcome).toMatchObject({ status: "FAILED", code: "provider_unavailable", points: 0 });
  const pages = github.requests.filter((request) => request.path.startsWith("/repos/acme/rocket/pulls"));
  expect(pages.map((request) => new URL(request.path, github.url).searchParams.get("page") ?? "1")).toEqual(["1", "2"]);
});

test("random bytes under the wrong content type: FAILED, not valid JSON", { timeout: 300_000 }, async () => {
  const outcome = await syncOnce(httpJson("random.bin"));
  expect(outcome).toMatchObject({ status: "FAILED", code: "provider_bad_response", points: 0 });
  expect(outcome.message).toMatch(/not valid JSON/);
});

test("an endless chunked body: cut at the size bound each time, and the worker's memory stays bounded", {
  timeout: 900_000,
}, async () => {
  const before = await workerRss();
  const after: number[] = [];
  for (let round = 0; round < 6; round++) {
    const outcome = await syncOnce(httpJson("endless.json"));
    expect(outcome).toMatchObject({ status: "FAILED", code: "provider_bad_response", points: 0 });
    expect(outcome.message).toMatch(/larger than \d+ bytes/);
    after.push(await workerRss());
  }
  // The provider stopped because the worker hung up, a little past the bound (socket buffers).
  await waitFor(() => Promise.resolve(endlessSent.length === 6), 120_000, "the endless bodies' connections to close");
  expect(endlessSent.every((sent) => sent >= sizeLimit && sent < sizeLimit + 16 * 1024 * 1024)).toBe(true);
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  console.log(
    `endless provider bodies: the worker read ${endlessSent.map(mib).join(", ")} MiB before hanging up ` +
      `(bound ${mib(sizeLimit)} MiB); worker RSS ${mib(before)} MiB before, ${after.map(mib).join(", ")} MiB after each`,
  );
  // Generous: reading up to the bound holds it (and a copy) for a moment; six rounds in a row do not add up.
  for (const rss of after) expect(rss).toBeLessThan(before + 256 * 1024 * 1024);
});
