import { randomBytes } from "node:crypto";
import pg from "pg";
import { databaseUrlWith } from "../server.ts";

export { printTable, quantile } from "./bench-report.ts";
export { createUser, operatorTransaction } from "./operator.ts";

// Each test file gets its own database, cloned from a migrated template (milliseconds), and
// connects as a login role that is neither superuser nor owner: exactly the application's footing.

export const testLoginRole = "northstar_test_login";
const testLoginPassword = "northstar_test";

export interface TestDatabase {
  /** Superuser connection: for arranging data as an operator would, never for the code under test. */
  adminUrl: string;
  /** The application's connection: a login that can only become northstar_app / northstar_worker. */
  appUrl: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the login role the tests connect as (idempotent: roles are cluster-wide). */
export async function ensureTestLogin(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${testLoginRole}') THEN
        CREATE ROLE ${testLoginRole} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS PASSWORD '${testLoginPassword}';
      END IF;
    END $$`);
    await client.query(`GRANT northstar_app, northstar_worker TO ${testLoginRole}`);
    // The job queue's role (pg-boss's schema owner): taken at connection startup, see src/queue.ts.
    await client.query(`GRANT northstar_queue TO ${testLoginRole}`);
  });
}

// pg's Pool.end() resolves before its connections have closed. Copying a database needs its
// template to have none, and FORCE would kill them (their clients then raise unhandled errors).
async function waitForNoConnections(client: pg.Client, database: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const open = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1",
      [database],
    );
    if (open.rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function createDatabaseFromTemplate(serverUrl: string, template: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (client) => {
    await waitForNoConnections(client, template);
    await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  });
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (client) => {
    await waitForNoConnections(client, name);
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

export async function createTestDatabase(serverUrl: string, template: string): Promise<TestDatabase> {
  const name = `northstar_test_${randomBytes(6).toString("hex")}`;
  await createDatabaseFromTemplate(serverUrl, template, name);
  const adminUrl = databaseUrlWith(serverUrl, name);
  const app = new URL(adminUrl);
  app.username = testLoginRole;
  app.password = testLoginPassword;
  return { adminUrl, appUrl: app.toString(), drop: () => dropDatabase(serverUrl, name) };
}
