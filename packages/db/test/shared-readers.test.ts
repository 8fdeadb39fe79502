import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { createDatabase, type Database, queryRows } from "../src/client.ts";
import { isConnectionLost, toDatabaseError } from "../src/errors.ts";
import { sql } from "../src/query.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The readers share a few pipelined connections (src/shared-readers.ts): many reads at once must
// each still run in their own transaction with their own context, a read that fails must take
// no other down, and a connection that dies must be replaced.

const ctx = useTestDatabase();

interface Seen {
  pid: number;
  workspace: string;
  user: string;
}

/** What one read saw: its backend, and the context it ran in (as a batch: one snapshot, two statements). */
async function readSeen(database: Database, workspaceId: string, userId: string): Promise<Seen> {
  const [[where], [who]] = await database.reader({ userId, workspaceId }).batch(
    sql<{
      pid: number;
      workspace: string;
    }>`SELECT pg_backend_pid() AS pid, current_setting('app.workspace_id') AS workspace`,
    sql<{ user: string }>`SELECT current_setting('app.user_id') AS "user"`,
  );
  if (!where || !who) throw new Error("no rows");
  return { pid: where.pid, workspace: where.workspace, user: who.user };
}

async function withReaders<T>(size: number, work: (database: Database) => Promise<T>, readDepth?: number): Promise<T> {
  const database = createDatabase({
    url: ctx().database.hostUrl,
    poolSize: 2,
    readPoolSize: size,
    ...(readDepth === undefined ? {} : { readDepth }),
  });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

test("300 reads at once over 2 connections: each in its own context, on at most 2 backends", async () => {
  await withReaders(2, async (database) => {
    const contexts = Array.from({ length: 300 }, () => ({ workspaceId: randomUUID(), userId: randomUUID() }));
    const seen = await Promise.all(contexts.map((each) => readSeen(database, each.workspaceId, each.userId)));
    expect(seen.map(({ workspace, user }) => ({ workspaceId: workspace, userId: user }))).toEqual(contexts);
    expect(new Set(seen.map((each) => each.pid)).size).toBeLessThanOrEqual(2);
  });
});

test("reads fill one connection before the next: 20 at once over up to 4 connections run on one backend", async () => {
  await withReaders(4, async (database) => {
    const seen = await Promise.all(Array.from({ length: 20 }, () => readSeen(database, randomUUID(), randomUUID())));
    expect(new Set(seen.map((each) => each.pid)).size).toBe(1);
    const again = await Promise.all(Array.from({ length: 20 }, () => readSeen(database, randomUUID(), randomUUID())));
    expect(new Set([...seen, ...again].map((each) => each.pid)).size).toBe(1);
  });
});

test("reads stuck on a connection at its depth: the next read opens and takes another", async () => {
  const lock = await ctx().admin.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(7401)");
    await withReaders(
      2,
      async (database) => {
        const reader = database.reader({ userId: null, workspaceId: randomUUID() });
        const [first] = await queryRows(reader, sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`);
        // Two reads wait for the lock on the first connection, which is then at its depth.
        const stuck = Array.from({ length: 2 }, () =>
          queryRows(
            reader,
            sql<{ pid: number }>`SELECT pg_backend_pid() AS pid FROM pg_advisory_xact_lock_shared(7401)`,
          ),
        );
        // This one finds every connection at depth: it opens the second, and waits behind them.
        const behind = queryRows(reader, sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`);
        await expect
          .poll(async () => {
            const { rows } = await ctx().admin.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND usename <> current_user",
            );
            return rows[0]?.n;
          })
          .toBe(2);
        const [next] = await queryRows(reader, sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`);
        expect(next?.pid).not.toBe(first?.pid);
        await lock.query("SELECT pg_advisory_unlock(7401)");
        const waited = [...(await Promise.all(stuck)), await behind].flat();
        expect(waited.map((row) => row.pid)).toEqual([first?.pid, first?.pid, first?.pid]);
      },
      2,
    );
  } finally {
    await lock.query("SELECT pg_advisory_unlock_all()");
    lock.release();
  }
});

test("a read that fails among others fails alone, and the connections serve the next reads", async () => {
  await withReaders(2, async (database) => {
    const workspaceId = randomUUID();
    const reader = database.reader({ userId: null, workspaceId });
    const answers = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        index % 10 === 3
          ? queryRows(reader, sql<{ never: number }>`SELECT ${"not a number"}::int AS never`)
          : readSeen(database, workspaceId, randomUUID()),
      ),
    );
    const failed = answers.filter((answer) => answer.status === "rejected");
    expect(failed).toHaveLength(4);
    for (const answer of failed) expect(toDatabaseError(answer.reason)?.kind).toBe("invalid_input");
    for (const answer of answers.filter((each) => each.status === "fulfilled"))
      expect((answer.value as Seen).workspace).toBe(workspaceId);
    // No transaction was left aborted or open on either connection.
    const after = await Promise.all(Array.from({ length: 10 }, () => readSeen(database, workspaceId, randomUUID())));
    expect(after.every((each) => each.workspace === workspaceId)).toBe(true);
  });
});

test("connections terminated under the readers: their reads fail as lost, the next reads get new ones", async () => {
  await withReaders(2, async (database) => {
    const workspaceId = randomUUID();
    const before = await Promise.all(Array.from({ length: 20 }, () => readSeen(database, workspaceId, randomUUID())));
    const pids = [...new Set(before.map((each) => each.pid))];
    // Reads still on their way when the backends die: each either finished before or failed as lost.
    const during = Promise.allSettled(
      Array.from({ length: 20 }, () =>
        queryRows(
          database.reader({ userId: null, workspaceId }),
          sql<{ slept: string }>`SELECT pg_sleep(0.5)::text AS slept`,
        ),
      ),
    );
    await ctx().admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
    // Twenty half-second reads queued: most were still waiting when their backend died.
    const settled = await during;
    expect(settled.filter((answer) => answer.status === "rejected").length).toBeGreaterThan(0);
    for (const answer of settled) if (answer.status === "rejected") expect(isConnectionLost(answer.reason)).toBe(true);
    // Until the pool notices each death a read may still meet a dead connection; then new ones serve.
    await expect
      .poll(async () => {
        const seen = await readSeen(database, workspaceId, randomUUID()).catch(() => null);
        return seen !== null && !pids.includes(seen.pid);
      })
      .toBe(true);
    const after = await Promise.all(Array.from({ length: 20 }, () => readSeen(database, workspaceId, randomUUID())));
    expect(after.every((each) => each.workspace === workspaceId && !pids.includes(each.pid))).toBe(true);
  });
});

test("close waits for the reads in flight", async () => {
  const database = createDatabase({ url: ctx().database.hostUrl, poolSize: 2, readPoolSize: 2 });
  const reads = Promise.all(Array.from({ length: 10 }, () => readSeen(database, randomUUID(), randomUUID())));
  await readSeen(database, randomUUID(), randomUUID());
  await database.close();
  expect(await reads).toHaveLength(10);
  await expect(readSeen(database, randomUUID(), randomUUID())).rejects.toThrow();
});
