import { request } from "node:http";
import { generateKeyPair } from "@northstar/db";
import { operatorTransaction } from "@northstar/db/testing";
import { afterAll, expect, test } from "vitest";
import { arrangeOwner, type HostProcess, logLines, mutate, startHostProcess } from "./host-process.ts";
import { useHostDatabase } from "./support.ts";

// The real host process (server/main.ts, NODE_ENV=production) stopped with SIGTERM while a request
// is in flight: the request finishes and its write is kept, a new connection is refused, and the
// process then exits 0 having closed its job sender and database pool. shutdown.test.ts proves the
// same of createShutdown on a test app; this is main.ts's wiring of it.

const ctx = useHostDatabase();
const keys = generateKeyPair("host-process");
let host: HostProcess | null = null;

afterAll(async () => {
  host?.kill();
  await host?.exited;
});

/** A request on a connection of its own (no keep-alive pool): refused once the server stops listening. */
function freshConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request(`${url}/healthz`, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.once("error", reject);
    sent.end();
  });
}

test("SIGTERM during a request: it finishes, new connections are refused, then the process exits 0", {
  timeout: 300_000,
}, async () => {
  const { admin } = ctx();
  host = await startHostProcess({ appDatabaseUrl: ctx().database.hostUrl, credentialsPublicKey: keys.publicKey });
  const runningHost = host;
  const owner = await arrangeOwner(admin, 1);
  const kpiId = owner.kpiIds[0] ?? "";
  const timestamp = new Date(Date.UTC(2021, 5, 1)).toISOString();
  expect(await freshConnection(runningHost.url)).toBe(200);

  // The operator holds the KPI's row: the write's foreign-key check waits on it, inside the host's
  // transaction, until the operator lets go. That is the request in flight.
  let letGo = () => {};
  let locked = () => {};
  const lockHeld = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const operatorDone = operatorTransaction(admin, async (client) => {
    await client.query("SELECT id FROM kpis WHERE id = $1 FOR UPDATE", [kpiId]);
    locked();
    await new Promise<void>((resolve) => {
      letGo = resolve;
    });
  });
  await lockHeld;
  const inFlight = mutate(runningHost, owner.cookie, "kpi.recordPoint", {
    workspaceId: owner.workspaceId,
    kpiId,
    value: 7,
    timestamp,
  });
  await expect
    .poll(
      async () => {
        const waiting = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND usename = 'northstar_test_host' AND wait_event_type = 'Lock'`,
        );
        return waiting.rows[0]?.n ?? 0;
      },
      { timeout: 120_000 },
    )
    .toBe(1);

  runningHost.child.kill("SIGTERM");
  await expect
    .poll(() => logLines(runningHost).some((line) => String(line.msg).startsWith("shutting down")), {
      timeout: 120_000,
    })
    .toBe(true);
  // No longer listening: a new connection is refused while the old request is still running.
  await expect(freshConnection(runningHost.url)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  expect(runningHost.child.exitCode).toBeNull();

  letGo();
  await operatorDone;
  const answer = await inFlight;
  expect(answer).toMatchObject({ status: 200, code: null });
  expect(await runningHost.exited).toEqual({ code: 0, signal: null });
  const written = await admin.query<{ value: number }>(
    `SELECT value FROM kpi_data_points WHERE kpi_id = $1 AND "timestamp" = $2`,
    [kpiId, timestamp],
  );
  expect(written.rows).toEqual([{ value: 7 }]);
  const lines = logLines(runningHost);
  // Drained in time (no cut-off), every resource closed without an error, then the last word.
  expect(lines.filter((line) => typeof line.level === "number" && line.level >= 40)).toEqual([]);
  expect(lines.at(-1)?.msg).toBe("stopped");
});
