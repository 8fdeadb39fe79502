import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { inheritedPath } from "./env.ts";

// The processes under load, started as production starts them: the client built into dist/ (what
// `pnpm build` makes and the host serves), the host (server/main.ts) and the worker (src/main.ts)
// as child processes with NODE_ENV=production and their own non-superuser logins; and the local
// provider server the worker's integrations sync from.

export const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workerRoot = path.resolve(webRoot, "../worker");

/** Builds the client into dist/ unless a build is there; says which. */
export async function ensureClientBuilt(): Promise<string> {
  if (existsSync(path.join(webRoot, "dist/index.html"))) return "dist/ (an existing build)";
  await build({
    root: webRoot,
    mode: "production",
    configFile: path.join(webRoot, "vite.config.ts"),
    logLevel: "warn",
  });
  return "dist/ (built now)";
}

export interface Running {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Log lines at error level or above (pino's 50+), the first few kept. */
  errors: { count: number; first: string[] };
  /** The host's own time per request (its request log's ms), by status and by when it was logged. */
  requestTimes: { at: number; status: number; ms: number }[];
  /** The process's inspector (live-memory.ts reads its memory there). */
  inspectorUrl: string;
  /** The last part of the output, for a failure report. */
  tail(): string;
  stop(): Promise<number | null>;
}

const tailBytes = 16_384;

/**
 * Starts `entry` with plain node (as `pnpm start` does) and resolves once a line of its output
 * contains `ready` (with that line); rejects if it exits first. Its inspector listens on a free
 * port of 127.0.0.1, for live-memory.ts: it costs nothing until a client attaches.
 */
function start(
  name: string,
  cwd: string,
  entry: string,
  env: Record<string, string>,
  ready: string,
): Promise<{ running: Running; line: string }> {
  const child = spawn(process.execPath, ["--inspect=127.0.0.1:0", entry], {
    cwd,
    env: { PATH: inheritedPath(), NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  let partial = "";
  const errors = { count: 0, first: [] as string[] };
  const requestTimes: Running["requestTimes"] = [];
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      resolve(code);
    });
  });
  const running: Running = {
    name,
    child,
    pid: child.pid ?? 0,
    errors,
    requestTimes,
    inspectorUrl: "",
    tail: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      // Far above an orderly stop (the worker's grace is 25 s); then it is killed.
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    let started = false;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-tailBytes);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const level = /"level":(\d+)/.exec(line);
        if ((level && Number(level[1]) >= 50) || (!level && /error/i.test(line))) {
          errors.count += 1;
          if (errors.first.length < 5) errors.first.push(line.slice(0, 2_000));
        }
        const inspector = /^Debugger listening on (ws:\/\/\S+)/.exec(line);
        if (inspector?.[1]) running.inspectorUrl = inspector[1];
        const request = /"status":(\d+),"ms":([\d.]+)/.exec(line);
        if (request) requestTimes.push({ at: performance.now(), status: Number(request[1]), ms: Number(request[2]) });
        if (!started && line.includes(ready)) {
          if (!running.inspectorUrl) {
            child.kill("SIGKILL");
            reject(new Error(`${name} is ready but its inspector never said where it listens:\n${tail}`));
            return;
          }
          started = true;
          resolve({ running, line });
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      if (!started) reject(new Error(`${name} exited (${code}) before it was ready:\n${tail}`));
    });
  });
}

export interface HostSettings {
  databaseUrl: string;
  publicUrl: string;
  authSecret: string;
  credentialsPublicKey: string;
  /** Extra settings: the load test's per-user limits. */
  extra: Record<string, string>;
}

/** The host on a free port; resolves with its URL once it listens. */
export async function startHost(settings: HostSettings): Promise<{ running: Running; url: string }> {
  const { running, line } = await start(
    "host",
    webRoot,
    "server/main.ts",
    {
      PORT: "0",
      HOST: "127.0.0.1",
      PUBLIC_URL: settings.publicUrl,
      APP_DATABASE_URL: settings.databaseUrl,
      NORTHSTAR_AUTH_SECRET: settings.authSecret,
      NORTHSTAR_CREDENTIALS_PUBLIC_KEY: settings.credentialsPublicKey,
      LOG_LEVEL: "info",
      ...settings.extra,
    },
    "Northstar listening",
  );
  const port = (JSON.parse(line) as { port?: number }).port;
  if (!port) throw new Error(`the host's listening line names no port: ${line}`);
  return { running, url: `http://127.0.0.1:${port}` };
}

export async function startWorker(databaseUrl: string, privateKeys: string): Promise<Running> {
  const { running } = await start(
    "worker",
    workerRoot,
    "src/main.ts",
    {
      WORKER_DATABASE_URL: databaseUrl,
      NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: privateKeys,
      WORKER_HTTP_PORT: "0",
      // The provider server is on 127.0.0.1.
      WORKER_ALLOW_PRIVATE_NETWORK: "1",
      LOG_LEVEL: "info",
    },
    "worker started",
  );
  return running;
}

/** Resident memory of a process, in MiB (VmRSS in /proc/<pid>/status). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kiB = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kiB) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kiB) / 1024;
}

export interface ProviderServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * An http-json source: per workspace, one point an hour for the last day and one for the current
 * minute, so that every sync finds something new and most of what it saw before.
 */
export async function startProviderServer(): Promise<ProviderServer> {
  const state = { requests: 0 };
  const server: Server = createServer((_request, response) => {
    state.requests += 1;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const hour = Math.floor(minute / 3_600_000) * 3_600_000;
    const points = Array.from({ length: 24 }, (_, index) => hour - index * 3_600_000)
      .concat(minute)
      .map((time) => ({ timestamp: new Date(time).toISOString(), value: (time / 60_000) % 1_000 }));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ points }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
