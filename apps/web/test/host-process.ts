import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isSecureContext, sessionCookieNameFor } from "@northstar/api";
import { credentialsBinding, parsePublicKeyring, seal } from "@northstar/db";
import { type OperatorPool, operatorTransaction } from "@northstar/db/testing";

// The host (server/main.ts) and the worker (apps/worker/src/main.ts) as real child processes,
// started as production starts them, for the fault tests: a process that is signalled, or whose
// database goes away, is observed from outside, by its answers, its exit and its log lines.

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workerRoot = path.resolve(webRoot, "../worker");

export const authSecret = "a-fault-test-secret-that-is-long-enough-5678";
/** The origin the host is told it is reached at: writes must come from it (same-origin.ts). */
export const publicUrl = "http://127.0.0.1:3999";

export interface ChildService {
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it already exited (for afterAll). */
  kill(): void;
}

function spawnService(cwd: string, entry: string, env: Record<string, string>): ChildService {
  let output = "";
  const child = spawn(process.execPath, [entry], {
    cwd,
    // Only what it is given: the test runner's environment (DATABASE_URL and all) stays out.
    env: { LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Parsed JSON log lines of a child (pino writes one object per line). */
export function logLines(service: ChildService): Record<string, unknown>[] {
  return service
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitForOutput<T>(service: ChildService, find: () => T | undefined, what: string): Promise<T> {
  // A start-up on a loaded 2-core machine takes seconds; this bound only guards against a hang.
  const deadline = Date.now() + 180_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (service.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${what} did not happen; its output:\n${service.output().slice(-4_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface HostProcess extends ChildService {
  /** http://127.0.0.1:<the port it listens on> */
  url: string;
}

/**
 * server/main.ts with NODE_ENV=production and the host's own login, on a port of its choosing
 * (PORT=0), told it is reached at `publicUrl`; resolves once it listens.
 */
export async function startHostProcess(options: {
  appDatabaseUrl: string;
  credentialsPublicKey: string;
  env?: Record<string, string>;
}): Promise<HostProcess> {
  const service = spawnService(webRoot, "server/main.ts", {
    NODE_ENV: "production",
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: publicUrl,
    APP_DATABASE_URL: options.appDatabaseUrl,
    NORTHSTAR_AUTH_SECRET: authSecret,
    NORTHSTAR_CREDENTIALS_PUBLIC_KEY: options.credentialsPublicKey,
    ...options.env,
  });
  const port = await waitForOutput(
    service,
    () => {
      const line = logLines(service).find((entry) => typeof entry.port === "number" && "publicUrl" in entry);
      return typeof line?.port === "number" ? line.port : undefined;
    },
    "the host's start",
  );
  return { ...service, url: `http://127.0.0.1:${port}` };
}

/** apps/worker/src/main.ts with the worker's own login; resolves once it has started. */
export async function startWorkerProcess(options: {
  workerDatabaseUrl: string;
  credentialsPrivateKeys: string;
  env?: Record<string, string>;
}): Promise<ChildService> {
  const service = spawnService(workerRoot, "src/main.ts", {
    NODE_ENV: "production",
    WORKER_DATABASE_URL: options.workerDatabaseUrl,
    NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: options.credentialsPrivateKeys,
    WORKER_HTTP_PORT: "0",
    // The test's provider servers are on 127.0.0.1.
    WORKER_ALLOW_PRIVATE_NETWORK: "1",
    WORKER_DISPATCH_CRON: "0 0 1 1 *",
    WORKER_RESEAL_CRON: "0 0 1 1 *",
    ...options.env,
  });
  await waitForOutput(
    service,
    () => (service.output().includes("worker started") ? true : undefined),
    "the worker's start",
  );
  return service;
}

export interface Owner {
  userId: string;
  workspaceId: string;
  kpiIds: string[];
  /** The session cookie, name=value, as a browser sends it to the host. */
  cookie: string;
}

/**
 * A workspace, its owner, `kpis` KPIs and a live session for the owner, arranged by the operator:
 * production has no development sign-in, and the session row is what a sign-in would leave.
 */
export async function arrangeOwner(admin: OperatorPool, kpis = 1): Promise<Owner> {
  const userId = randomUUID();
  const workspaceId = randomUUID();
  const kpiIds = Array.from({ length: kpis }, () => randomUUID());
  const token = randomBytes(32).toString("base64url");
  await operatorTransaction(admin, async (client) => {
    await client.query(
      "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, 'Owner', 'github', $3)",
      [userId, `owner-${userId}@example.com`, userId],
    );
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Faults', $2)", [
      workspaceId,
      `f-${workspaceId.slice(0, 8)}`,
    ]);
    await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
      workspaceId,
      userId,
    ]);
    for (const [index, id] of kpiIds.entries())
      await client.query("INSERT INTO kpis (id, workspace_id, name) VALUES ($1, $2, $3)", [
        id,
        workspaceId,
        `KPI ${index}`,
      ]);
    await client.query(
      "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '7 days')",
      [userId, createHash("sha256").update(token).digest()],
    );
  });
  const cookieName = sessionCookieNameFor(isSecureContext(publicUrl));
  return { userId, workspaceId, kpiIds, cookie: `${cookieName}=${token}` };
}

/**
 * An http-json integration reading `url` into `kpiId`, its (empty) credentials sealed to the
 * worker's public key as the host seals them; not due (only "sync now" runs it).
 */
export async function arrangeIntegration(
  admin: OperatorPool,
  owner: Owner,
  options: { url: string; kpiId: string; credentialsPublicKey: string },
): Promise<string> {
  const id = randomUUID();
  const config = { url: options.url, valuePath: "$.points" };
  const sealed = seal(
    parsePublicKeyring(options.credentialsPublicKey),
    {},
    credentialsBinding(owner.workspaceId, id, "http-json", config),
  );
  await operatorTransaction(admin, async (client) => {
    await client.query(
      `INSERT INTO integrations (id, workspace_id, provider, name, config, credentials, credentials_key_id, sync_interval_seconds, next_sync_at)
       VALUES ($1, $2, 'http-json', 'Faults', $3, $4, $5, 3600, now() + interval '1 hour')`,
      [id, owner.workspaceId, JSON.stringify(config), Buffer.from(sealed.ciphertext), sealed.keyId],
    );
    await client.query(
      "INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id) VALUES ($1, $2, 'value', $3)",
      [owner.workspaceId, id, options.kpiId],
    );
  });
  return id;
}

export interface CallAnswer {
  status: number;
  retryAfter: string | null;
  /** The tRPC error code, or null for a result. */
  code: string | null;
  message: string | null;
  /** The result's data (superjson's `json`), for a result. */
  data: unknown;
}

interface Envelope {
  result?: { data?: { json?: unknown } };
  error?: { json?: { message?: string; data?: { code?: string } } };
}

/** One tRPC mutation as the web client sends it (JSON, from the public origin). */
export async function mutate(
  host: HostProcess,
  cookie: string,
  procedure: string,
  input: unknown,
): Promise<CallAnswer> {
  const response = await fetch(`${host.url}/trpc/${procedure}`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", origin: publicUrl },
    body: JSON.stringify({ json: input }),
  });
  const text = await response.text();
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    // Not JSON: kept as the message, so that a failing assertion shows it.
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      code: null,
      message: text,
      data: null,
    };
  }
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    code: envelope.error?.json?.data?.code ?? null,
    message: envelope.error?.json?.message ?? null,
    data: envelope.result?.data?.json ?? null,
  };
}
