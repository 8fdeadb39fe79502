import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import {
  credentialsBinding,
  generateKeyPair,
  type Keyring,
  parseKeyring,
  type PublicKeyring,
  seal,
} from "@northstar/db";
import type { ProviderId } from "@northstar/core/providers";
import { createQueueClient, ensureQueues, sendSync, type SyncJob } from "@northstar/db/queue";
import { operatorTransaction } from "@northstar/db/testing";
import type { TestContext } from "@northstar/db/testing/vitest";
import { pino } from "pino";
import { createConnectors } from "../src/providers/index.ts";
import { testSyncSettings } from "../src/testing/sync-settings.ts";
import { testWorkerOptions } from "../src/testing/worker-options.ts";
import type { SyncOutcome } from "../src/sync/run.ts";
import { type RunningWorker, startWorker, type WorkerOptions } from "../src/worker.ts";

// Fixtures for the worker's tests: tenants arranged by the superuser (as an operator would), real
// HTTP servers on 127.0.0.1 that speak the providers' protocols, and workers built like main.ts.

/** A superuser pool: the operator's hand, never the code under test's. */
export type AdminPool = TestContext["admin"];

const testKeyPair = generateKeyPair("test-current");
/** The worker's keyring in these tests (a fresh pair per run); its environment form is keyringEnv. */
export const testKeyring: Keyring = parseKeyring(testKeyPair.privateKey);
/** NORTHSTAR_CREDENTIALS_PRIVATE_KEYS for a worker process that opens what testKeyring's public key sealed. */
export const keyringEnv = testKeyPair.privateKey;

export { testSyncSettings };

/** Log lines a worker wrote, as text (to search for secrets) and parsed. */
export class LogCapture {
  text = "";
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.text += chunk.toString("utf8");
      done();
    },
  });
  lines(): Record<string, unknown>[] {
    return this.text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface ProviderServer {
  url: string;
  /** Requests seen, in order (method and path with query). */
  requests: Array<{ path: string; headers: IncomingMessage["headers"] }>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 answering with `handler`. */
export async function startProviderServer(
  handler: (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>,
): Promise<ProviderServer> {
  const requests: ProviderServer["requests"] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    requests.push({ path: `${url.pathname}${url.search}`, headers: request.headers });
    Promise.resolve(handler(request, response, url)).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Provider answers held until the test opens the gate: a test decides when a fetch ends, instead
 * of a timer racing the machine's load.
 */
export class Gate {
  private waiting: Array<() => void> = [];
  private open = false;

  /** How many are waiting now. */
  get held(): number {
    return this.waiting.length;
  }

  /** Resolves when the gate opens (at once if it is open). */
  pass(): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Lets every waiter through, and, with `stayOpen`, every later one too. */
  release({ stayOpen = false } = {}): void {
    this.open = stayOpen;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Closed again, forgetting waiters (their requests end with the server). */
  reset(): void {
    this.open = false;
    this.waiting = [];
  }
}

export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

export interface Tenant {
  workspaceId: string;
  kpiIds: string[];
}

/** A workspace (with its owner) and `kpis` KPIs, inserted by the superuser. */
export async function createTenant(admin: AdminPool, kpis = 1): Promise<Tenant> {
  const workspaceId = randomUUID();
  const ownerId = randomUUID();
  const kpiIds = Array.from({ length: kpis }, () => randomUUID());
  await operatorTransaction(admin, async (client) => {
    // A workspace must have an owner by the end of its transaction.
    await client.query(
      "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, 'Owner', 'github', $3)",
      [ownerId, `owner-${ownerId}@example.com`, ownerId],
    );
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Tenant', $2)", [
      workspaceId,
      `t-${workspaceId.slice(0, 8)}`,
    ]);
    await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
      workspaceId,
      ownerId,
    ]);
    for (const [index, id] of kpiIds.entries()) {
      await client.query("INSERT INTO kpis (id, workspace_id, name) VALUES ($1, $2, $3)", [
        id,
        workspaceId,
        `KPI ${index}`,
      ]);
    }
  });
  return { workspaceId, kpiIds };
}

export interface IntegrationSpec {
  provider: ProviderId;
  credentials: Record<string, string>;
  config: Record<string, string>;
  /** metric key -> KPI id */
  metrics: Record<string, string>;
  syncIntervalSeconds?: number;
  nextSyncAt?: Date | null;
}

/**
 * An integration with its credentials sealed as the host seals them (to `keyring`'s public key, for
 * its config's origin, or for `sealedFor`'s config instead) and its metric mappings, inserted by the superuser.
 */
export async function createIntegration(
  admin: AdminPool,
  workspaceId: string,
  spec: IntegrationSpec & { sealedFor?: Record<string, string> },
  keyring: PublicKeyring = testKeyring,
): Promise<string> {
  const id = randomUUID();
  const sealed = seal(
    keyring,
    spec.credentials,
    credentialsBinding(workspaceId, id, spec.provider, spec.sealedFor ?? spec.config),
  );
  await admin.query(
    `INSERT INTO integrations (id, workspace_id, provider, name, config, credentials, credentials_key_id, sync_interval_seconds, next_sync_at)
     VALUES ($1, $2, $3, 'Test integration', $4, $5, $6, $7, $8)`,
    [
      id,
      workspaceId,
      spec.provider,
      JSON.stringify(spec.config),
      Buffer.from(sealed.ciphertext),
      sealed.keyId,
      spec.syncIntervalSeconds ?? 3600,
      spec.nextSyncAt === undefined ? new Date(Date.now() + 3_600_000) : spec.nextSyncAt,
    ],
  );
  for (const [metricKey, kpiId] of Object.entries(spec.metrics)) {
    await admin.query(
      "INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id) VALUES ($1, $2, $3, $4)",
      [workspaceId, id, metricKey, kpiId],
    );
  }
  return id;
}

export interface IntegrationState {
  sync_status: string;
  consecutive_failures: number;
  last_error_code: string | null;
  last_error_message: string | null;
  auth_failed_at: Date | null;
  last_synced_at: Date | null;
  next_sync_at: Date | null;
  sync_cursor: { latest?: string } | null;
  lease_token: string | null;
  credentials_key_id: string | null;
}

export async function integrationState(admin: AdminPool, integrationId: string): Promise<IntegrationState> {
  const result = await admin.query<IntegrationState>(
    `SELECT sync_status::text, consecutive_failures, last_error_code, last_error_message, auth_failed_at, last_synced_at,
            next_sync_at, sync_cursor, lease_token, credentials_key_id
       FROM integrations WHERE id = $1`,
    [integrationId],
  );
  const row = result.rows[0];
  if (!row) throw new Error(`no integration ${integrationId}`);
  return row;
}

export async function pointsOf(
  admin: AdminPool,
  kpiId: string,
): Promise<Array<{ timestamp: Date; value: number; workspace_id: string }>> {
  const result = await admin.query<{ timestamp: Date; value: number; workspace_id: string }>(
    `SELECT "timestamp", value, workspace_id FROM kpi_data_points WHERE kpi_id = $1 ORDER BY "timestamp"`,
    [kpiId],
  );
  return result.rows;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 120_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TestWorker extends RunningWorker {
  logs: LogCapture;
  outcomes: Array<{ integrationId: string; outcome: SyncOutcome }>;
  /** Resolves with the next outcome for this integration. */
  nextOutcome(integrationId: string, timeoutMs?: number): Promise<SyncOutcome>;
}

/** A worker in this process, configured like main.ts but with short timings and no HTTP unless asked. */
export async function startTestWorker(
  context: TestContext,
  overrides: Partial<WorkerOptions> & { endpoints?: { githubApiUrl: string; stripeApiUrl: string } } = {},
): Promise<TestWorker> {
  const logs = new LogCapture();
  const { endpoints, ...options } = overrides;
  const worker = await startWorker(
    testWorkerOptions({
      database: context.db,
      queueUrl: context.database.workerUrl,
      keyring: testKeyring,
      logger: pino({ level: "debug" }, logs.stream),
      ...(endpoints ? { connectors: createConnectors(endpoints) } : {}),
      ...options,
    }),
  );
  const outcomes: TestWorker["outcomes"] = [];
  const waiters: Array<{ integrationId: string; resolve: (outcome: SyncOutcome) => void }> = [];
  worker.onOutcome((job, outcome) => {
    outcomes.push({ integrationId: job.integrationId, outcome });
    for (const waiter of waiters.filter((candidate) => candidate.integrationId === job.integrationId)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(outcome);
    }
  });
  return {
    ...worker,
    logs,
    outcomes,
    nextOutcome(integrationId, timeoutMs = 120_000) {
      return new Promise<SyncOutcome>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no sync outcome for ${integrationId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({
          integrationId,
          resolve: (outcome) => {
            clearTimeout(timer);
            resolve(outcome);
          },
        });
      });
    },
  };
}

/** Sends one sync job the way the web host does: a bare sender on the queue role, no worker. */
export async function sendAsHost(context: TestContext, job: SyncJob): Promise<string | null> {
  const boss = createQueueClient({ url: context.database.hostUrl });
  await boss.start();
  try {
    await ensureQueues(boss);
    return await sendSync(boss, job);
  } finally {
    await boss.stop({ graceful: false });
  }
}
