import { expect, test } from "vitest";
import { createDatabase } from "../src/client.ts";
import { isConnectionLost } from "../src/errors.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// A pooled connection that dies while a transaction holds it (the server restarts, an operator
// terminates the backend): the process lives on (pg emits `error` on a checked-out client, and an
// unheard one ended the process), the transaction fails as a lost connection (not an internal
// error), and the pool serves the next transaction on a fresh connection.

const ctx = useTestDatabase();

test("a connection terminated mid-transaction: a lost-connection error, the process lives, the next transaction works", async () => {
  const { admin } = ctx();
  // One connection: the transaction below must give its slot back for the next one to run.
  const database = createDatabase({ url: ctx().database.hostUrl, poolSize: 1 });
  try {
    const failed = await database
      .withContext({ userId: null, workspaceId: null }, async (db) => {
        const [backend] = await db.$queryRaw<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
        // Between two statements, the connection idle in its transaction: as a restart finds most of them.
        await admin.query("SELECT pg_terminate_backend($1)", [backend.pid]);
        await expect
          .poll(async () => {
            const alive = await admin.query("SELECT FROM pg_stat_activity WHERE pid = $1", [backend.pid]);
            return alive.rowCount;
          })
          .toBe(0);
        await db.$queryRaw`SELECT 1`;
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isConnectionLost(failed)).toBe(true);
    // The pool's only connection was the dead one: this one is new. Were the dead one's slot still
    // held (Prisma releases a connection only after its ROLLBACK succeeds), this would never run.
    const rows = await database.withContext(
      { userId: null, workspaceId: null },
      (db) => db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`,
    );
    expect(rows).toEqual([{ one: 1 }]);
  } finally {
    await database.close();
  }
});
