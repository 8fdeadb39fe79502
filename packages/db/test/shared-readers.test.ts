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

async function withReaders<T>(size: number, work: (database: Database) => Promise<T>): Promise<T> {
  const database = createDatabase({ url: ctx().database.hostUrl, poolSize: 2, readPoolSize: size });
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
    // Ten half-second reads queued per connection: most were still waiting when their backend died.
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
