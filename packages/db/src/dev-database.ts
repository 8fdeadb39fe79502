import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { configuredDatabaseUrl } from "./env.ts";
import { ensureLogin, loginsLock, loginUrl, type ProcessLogin } from "./logins.ts";
import { formatSeedSummary, seed } from "./seed.ts";
import { type DatabaseServer, databaseUrlWith, migrate, repositoryRoot, startDevelopmentServer } from "./server.ts";

// What the development tools (`pnpm dev`'s host and worker, db:dev, db:migrate, db:deploy, db:seed,
// db:reset, db:generate-data) connect to: the server in DATABASE_URL when set, else the embedded
// development server and its `northstar` database. The host and the worker connect with their own
// logins, created here, as in production: neither runs as the owner.

/** `pnpm dev`'s logins: not production's names, so a dev run against a shared server never re-keys those. */
const developmentLogins = {
  host: "northstar_dev_host",
  worker: "northstar_dev_worker",
} as const satisfies Record<ProcessLogin, string>;
const passwordsFile = path.join(repositoryRoot, ".northstar", "logins.json");

export interface DevelopmentDatabase {
  /** Owner (migration) URL of the database: for the development tools, never for the host or worker. */
  url: string;
  /** True for the embedded development server (started here, or reused from another process). */
  embedded: boolean;
  close(): Promise<void>;
}

/** Creates the database `name` on `server` unless it is there; safe to run from several processes at once. */
export async function ensureDatabaseExists(server: Pick<DatabaseServer, "urlFor">, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.urlFor("postgres") });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      // The host's and the worker's dev processes start side by side and may both get here: the
      // second CREATE fails as a duplicate (42P04, or 23505 on pg_database's index mid-race), which
      // means the database is there.
      await client.query(`CREATE DATABASE "${name}"`).catch((error: unknown) => {
        const code = error instanceof Error && "code" in error ? error.code : undefined;
        if (code !== "42P04" && code !== "23505") throw error;
      });
    }
  } finally {
    await client.end();
  }
}

async function isEmpty(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ empty: boolean }>("SELECT NOT EXISTS (SELECT FROM users) AS empty");
    return result.rows[0]?.empty ?? true;
  } finally {
    await client.end();
  }
}

type Passwords = Record<ProcessLogin, string>;

function isPasswords(value: unknown): value is Passwords {
  return (
    typeof value === "object" &&
    value !== null &&
    "host" in value &&
    typeof value.host === "string" &&
    "worker" in value &&
    typeof value.worker === "string"
  );
}

/**
 * The development logins' passwords: generated once and kept in .northstar/logins.json (mode 600).
 * The host's and the worker's dev processes start side by side: the file is linked into place, so
 * the first one's passwords win and the other reads them.
 */
async function developmentPasswords(): Promise<Passwords> {
  const existing = await readFile(passwordsFile, "utf8").then(
    (text) => JSON.parse(text) as unknown,
    () => undefined,
  );
  if (isPasswords(existing)) return existing;
  await mkdir(path.dirname(passwordsFile), { recursive: true });
  const fresh: Passwords = {
    host: randomBytes(18).toString("base64url"),
    worker: randomBytes(18).toString("base64url"),
  };
  const staging = `${passwordsFile}.${process.pid}`;
  await writeFile(staging, JSON.stringify(fresh), { mode: 0o600 });
  try {
    await link(staging, passwordsFile);
  } catch {
    // Another process linked its own first (or the file was unreadable: left for a person to see).
  } finally {
    await rm(staging, { force: true });
  }
  const kept: unknown = JSON.parse(await readFile(passwordsFile, "utf8"));
  if (!isPasswords(kept)) throw new Error(`${passwordsFile} is not valid: delete it and start again`);
  return kept;
}

/**
 * Lets northstar_app call app.development_users() in this database: the development sign-in's
 * list of users (migration 20261130000200_scoped_access grants it to nobody). Development only.
 */
export async function allowDevelopmentSignIn(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Serialized with ensureLogin's grants: two concurrent GRANTs on one object can fail.
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [loginsLock]);
    await client.query("GRANT EXECUTE ON FUNCTION app.development_users(integer) TO northstar_app");
    await client.query("COMMIT");
  } finally {
    await client.end();
  }
}

export interface DevelopmentDatabaseOptions {
  migrate: boolean;
  /** Writes the development data (src/seed.ts) when the database has no user yet. */
  seedIfEmpty?: boolean;
}

export async function openDevelopmentDatabase(options: DevelopmentDatabaseOptions): Promise<DevelopmentDatabase> {
  const configured = configuredDatabaseUrl();
  const server = configured ? undefined : await startDevelopmentServer();
  const url = server ? databaseUrlWith(server.urlFor("postgres"), "northstar") : (configured ?? "");
  try {
    if (server) await ensureDatabaseExists(server, "northstar");
    if (options.migrate) await migrate(url);
    if (options.seedIfEmpty && (await isEmpty(url))) console.log(formatSeedSummary(await seed(url)));
  } catch (error) {
    await server?.stop();
    throw error;
  }
  // Stops the server only when this process started it (see startDevelopmentServer).
  return { url, embedded: server !== undefined, close: () => server?.stop() ?? Promise.resolve() };
}

export interface DevelopmentLogins {
  /** The host's login (northstar_app, northstar_queue) on the development database. */
  hostUrl: string;
  /** The worker's login (northstar_worker, northstar_queue) on the development database. */
  workerUrl: string;
}

/**
 * `pnpm dev`'s host and worker logins on the (migrated) development database at `ownerUrl`, created
 * when missing, and the development sign-in's user list allowed there.
 */
export async function openDevelopmentLogins(ownerUrl: string): Promise<DevelopmentLogins> {
  const passwords = await developmentPasswords();
  for (const process of ["host", "worker"] as const)
    await ensureLogin(ownerUrl, { name: developmentLogins[process], password: passwords[process], process });
  await allowDevelopmentSignIn(ownerUrl);
  return {
    hostUrl: loginUrl(ownerUrl, developmentLogins.host, passwords.host),
    workerUrl: loginUrl(ownerUrl, developmentLogins.worker, passwords.worker),
  };
}
