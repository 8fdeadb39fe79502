import { randomUUID } from "node:crypto";
import pg from "pg";

// Arranging rows as an operator would: with the superuser pool, the way the tests of every package
// set up users and tenants before the code under test (which never gets this pool) runs.

/** The operator's pool: a superuser's connections, for arranging and counting rows (tests, benches). */
export type OperatorPool = pg.Pool;

export function operatorPool(adminUrl: string, max = 2): OperatorPool {
  return new pg.Pool({ connectionString: adminUrl, max });
}

/** Runs `work` on one connection of the superuser pool in a transaction; rolls back if it throws. */
export async function operatorTransaction<T>(admin: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

/** A user row, as if they had signed up before: a fresh email unless one is given. */
export async function createUser(
  admin: pg.Pool,
  name: string,
  email?: string,
): Promise<{ id: string; email: string; name: string }> {
  const id = randomUUID();
  const address = email ?? `${name.toLowerCase().replace(/\W+/g, "-")}-${id.slice(0, 8)}@example.com`;
  await admin.query(
    "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, $3, 'github', $4)",
    [id, address, name, id],
  );
  return { id, email: address, name };
}
