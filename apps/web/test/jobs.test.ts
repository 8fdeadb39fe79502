import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { expect, test } from "vitest";
import { startJobSender } from "../server/jobs.ts";
import { LogCapture, useHostDatabase } from "./support.ts";

// The host's side of the worker's queue: "sync now" sends a job; a queue connection the server
// drops is logged, not fatal (an unhandled 'error' event would end the host).

const ctx = useHostDatabase();

test("sends a sync job, and survives the database dropping the queue's connections", async () => {
  const logs = new LogCapture();
  const sender = await startJobSender(ctx().database.appUrl, pino({ level: "info" }, logs.stream));
  try {
    const job = { workspaceId: randomUUID(), integrationId: randomUUID() };
    await sender.jobs.requestSync(job);
    const { rows } = await ctx().admin.query<{ data: unknown }>(
      "SELECT data FROM pgboss.job WHERE name = 'integration-sync'",
    );
    expect(rows.map((row) => row.data)).toEqual([{ ...job, reason: "requested" }]);

    const { rowCount } = await ctx().admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'northstar-web-jobs' AND pid <> pg_backend_pid()",
    );
    expect(rowCount).toBeGreaterThan(0);
    await expect
      .poll(() => logs.lines.some((line) => line.msg === "job queue connection error"), { timeout: 5_000 })
      .toBe(true);
    // The pool replaces the connection: the next send works.
    await sender.jobs.requestSync({ workspaceId: randomUUID(), integrationId: randomUUID() });
    expect(JSON.stringify(logs.lines)).not.toContain("password");
  } finally {
    await sender.close();
  }
});
