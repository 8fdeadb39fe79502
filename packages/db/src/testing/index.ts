import { randomBytes } from "node:crypto";
import pg from "pg";
import { ensureLogin, loginUrl, type ProcessLogin } from "../logins.ts";
import { databaseUrlWith } from "../server.ts";

export { printTable, quantile } from "./bench-report.ts";
export { createUser, type OperatorPool, operatorPool, operatorTransaction } from "./operator.ts";

// Each test file gets its own database, cloned from a migrated template (milliseconds), and
// connects as the login of the process under test (host or worker): neither superuser nor owner,
// each holding only its own roles, exactly the application's footing.

/** The tests' logins, one per process (see src/logins.ts); created once per server, cluster-wide. */
export const testLogins = {
  host: "northstar_test_host",
  worker: "northstar_test_worker",
} as const satisfies Record<ProcessLogin, string>;
const testLoginPassword = "northstar_test";

export interface TestDatabase {
  /** Superuser connection: for arranging data as an operator would, never for the code under test. */
  adminUrl: string;
  /** The web host's connection: a login that can only become northstar_app (and northstar_queue, to send jobs). */
  hostUrl: string;
  /** The worker's connection: a login that can only become northstar_worker and northstar_queue. */
  workerUrl: string;
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

/** Creates the logins the tests connect as (idempotent: roles are cluster-wide). */
export async function ensureTestLogin(adminUrl: string): Promise<void> {
  for (const process of ["host", "worker"] as const)
    await ensureLogin(adminUrl, { name: testLogins[process], password: testLoginPassword, process });
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
  return {
    adminUrl,
    hostUrl: loginUrl(adminUrl, testLogins.host, testLoginPassword),
    workerUrl: loginUrl(adminUrl, testLogins.worker, testLoginPassword),
    drop: () => dropDatabase(serverUrl, name),
  };
}
