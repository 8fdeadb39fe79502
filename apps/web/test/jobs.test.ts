import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { expect, test } from "vitest";
import { jobsFromQueue, startJobSender } from "../server/jobs.ts";
import { LogCapture, useHostDatabase } from "./support.ts";

// The host's side of the worker's queue: "sync now" sends a job; a queue connection the server
// drops is logged, not fatal (an unhandled 'error' event would end the host), and a send that
// meets a dropped connection goes again on a fresh one.

const ctx = useHostDatabase();

const queuedJobs = async () =>
  (await ctx().admin.query<{ data: unknown }>("SELECT data FROM pgboss.job WHERE name = 'integration-sync'")).rows.map(
    (row) => row.data,
  );

test("sends a sync job, and survives the database dropping every one of the queue's connections", async () => {
  const logs = new LogCapture();
  const sender = await startJobSender(ctx().database.hostUrl, pino({ level: "info" }, logs.stream));
  try {
    const job = { workspaceId: randomUUID(), integrationId: randomUUID() };
    await sender.jobs.requestSync(job);
    expect(await queuedJobs()).toEqual([{ ...job, reason: "requested" }]);

    const { rowCount } = await ctx().admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'northstar-web-jobs' AND datname = current_database() AND pid <> pg_backend_pid()`,
    );
    expect(rowCount).toBeGreaterThan(0);
    // Every dropped connection is noticed and logged, none ends the process.
    const dropped = () => logs.lines.filter((line) => line.msg === "job queue connection error").length;
    await expect.poll(dropped).toBe(rowCount);
    // The pool replaces them: the next send works.
    const next = { workspaceId: randomUUID(), integrationId: randomUUID() };
    await sender.jobs.requestSync(next);
    expect(await queuedJobs()).toContainEqual({ ...next, reason: "requested" });
    expect(JSON.stringify(logs.lines)).not.toContain("password");
  } finally {
    await sender.close();
  }
});

test("a send on a connection the database dropped goes once more; any other failure is the caller's", async () => {
  const logs = new LogCapture();
  const lost = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
  const attempts: unknown[] = [];
  const jobs = jobsFromQueue(
    (job) => {
      attempts.push(job);
      return attempts.length === 1 ? Promise.reject(lost) : Promise.resolve();
    },
    pino({ level: "info" }, logs.stream),
  );
  const job = { workspaceId: randomUUID(), integrationId: randomUUID() };
  await jobs.requestSync(job);
  expect(attempts).toEqual([
    { ...job, reason: "requested" },
    { ...job, reason: "requested" },
  ]);

  // A lost connection twice in a row, or a statement that failed, is not sent again.
  const refused = Object.assign(new Error("permission denied for table job"), { code: "42501" });
  for (const [failure, expected] of [
    [lost, 2],
    [refused, 1],
  ] as const) {
    let calls = 0;
    const failing = jobsFromQueue(
      async () => {
        calls++;
        await Promise.resolve();
        throw failure;
      },
      pino({ level: "silent" }),
    );
    await expect(failing.requestSync(job)).rejects.toBe(failure);
    expect(calls).toBe(expected);
  }
});
