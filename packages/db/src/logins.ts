import pg from "pg";

// One login per process, each holding only the roles that process takes: a web host that is taken
// over (SQL injection, code execution) can become northstar_app and nothing else, so it cannot
// switch to the worker's role, whose policies see every workspace's integrations. The tests'
// global setup and `pnpm dev` create their logins here; production creates its own (README).

export type ProcessLogin = "host" | "worker";

/**
 * The roles each login may SET ROLE to. The host sends "sync now" jobs through pg-boss, which
 * connects as northstar_queue (src/queue.ts): that role owns only schema pgboss.
 */
export const loginRoles = {
  host: ["northstar_app", "northstar_queue"],
  worker: ["northstar_worker", "northstar_queue"],
} as const satisfies Record<ProcessLogin, readonly string[]>;

/** The advisory lock that serializes changes to logins and their grants. */
export const loginsLock = "northstar.logins";

/** `url` (any database of the server) with this login's name and password. */
export function loginUrl(url: string, name: string, password: string): string {
  const next = new URL(url);
  next.username = name;
  next.password = password;
  return next.toString();
}

/**
 * Creates the login `name` when missing (NOINHERIT: it holds no privilege until it takes a role
 * inside a transaction), sets its password, and grants it its process's roles. Idempotent, and safe
 * when several processes run it at once (turbo starts test suites and dev processes side by side):
 * they queue on an advisory lock. `ownerUrl` must be a superuser's (or a CREATEROLE admin's).
 */
export async function ensureLogin(
  ownerUrl: string,
  login: { name: string; password: string; process: ProcessLogin },
): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const name = client.escapeIdentifier(login.name);
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [loginsLock]);
    const found = await client.query("SELECT FROM pg_roles WHERE rolname = $1", [login.name]);
    if (found.rowCount === 0) await client.query(`CREATE ROLE ${name} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS`);
    await client.query(`ALTER ROLE ${name} PASSWORD ${client.escapeLiteral(login.password)}`);
    await client.query(`GRANT ${loginRoles[login.process].join(", ")} TO ${name}`);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
