import { seed, seededIntegrationIds } from "@northstar/db/seed";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDemoRoutes } from "../src/demo/routes.ts";
import { demoPoints } from "../src/demo/series.ts";
import { developmentEnvironment, parseWorkerEnv } from "../src/env.ts";
import type { SyncOutcome } from "../src/sync/run.ts";
import { startTestWorker, type TestWorker } from "./support.ts";

// A first run that works: the development seed on a fresh database and a worker configured as
// `pnpm dev` configures it (its environment: the development key pair, loopback allowed, the demo
// source served) sync every seeded integration for real, from the demo source, with points written.

const context = useTestDatabase("worker");
let worker: TestWorker;

beforeAll(async () => {
  const development = parseWorkerEnv(developmentEnvironment("postgresql://dev@127.0.0.1/dev", {}));
  expect(development.http.demo).toBe(true);
  expect(development.sync.allowPrivateNetwork).toBe(true);
  // As dev.ts starts it, but on a free port (the seed is pointed at it) and with no clock-driven ticks.
  worker = await startTestWorker(context(), {
    keyring: development.keyring,
    sync: development.sync,
    http: { port: 0, host: "127.0.0.1", demo: development.http.demo },
  });
});

afterAll(async () => {
  await worker.stop(60_000);
});

describe("the demo source", () => {
  test("the same hour gives the same numbers; today's total grows with the hours", () => {
    const morning = new Date("2026-11-25T09:30:00Z");
    expect(demoPoints("revenue", morning)).toEqual(demoPoints("revenue", new Date("2026-11-25T09:59:59Z")));
    const evening = demoPoints("revenue", new Date("2026-11-25T18:30:00Z"));
    const early = demoPoints("revenue", morning);
    expect(evening).toHaveLength(91);
    expect(evening.slice(0, -1)).toEqual(early.slice(0, -1));
    expect(evening.at(-1)?.value).toBeGreaterThan(early.at(-1)?.value ?? Number.POSITIVE_INFINITY);
    const mrr = demoPoints("mrr", morning);
    expect(mrr.at(-1)?.timestamp.toISOString()).toBe("2026-11-25T09:00:00.000Z");
  });

  test("CSV in two dialects and JSON; an unknown series is a 404", async () => {
    const app = createDemoRoutes(() => new Date("2026-11-25T09:30:00Z"));
    const plain = await (await app.request("/deploys.csv")).text();
    expect(plain.split("\n")[0]).toBe("timestamp,deploys,deploys_per_hour");
    expect(plain).toMatch(/\n2026-11-25,\d+,/);
    const europe = await (await app.request("/sessions.csv?format=europe")).text();
    expect(europe.split("\r\n")[0]).toBe("Datum;sessions;Anteil");
    expect(europe).toMatch(/\r\n25\.11\.2026;\d{1,3}(\.\d{3})*;\d+,\d{2}\r\n$/);
    const json = (await (await app.request("/mrr.json")).json()) as { points: unknown[] };
    expect(json.points.length).toBeGreaterThan(24 * 90);
    expect((await app.request("/nope.json")).status).toBe(404);
  });
});

describe("a fresh development database", () => {
  test("every seeded integration syncs from the demo source: SUCCEEDED, points written, no error", async () => {
    const admin = context().admin;
    // Before any sync: the synced series must reach this day at least (no race with midnight).
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    await seed(context().database.adminUrl, { demoSourceUrl: `${String(worker.httpUrl)}/demo` });
    const ids = Object.values(seededIntegrationIds);
    // Waiters first, then the dispatcher's tick (dev's cron runs the same every minute).
    const outcomes = Promise.all(ids.map((id) => worker.nextOutcome(id, 300_000)));
    expect((await worker.dispatch()).enqueued).toBe(ids.length);
    const results: SyncOutcome[] = await outcomes;
    for (const [index, outcome] of results.entries()) expect(outcome, ids[index]).toMatchObject({ kind: "succeeded" });

    // The worker's start-up dispatch ended before the seed, and its cron never fires here: each
    // integration has exactly one run, which succeeded and wrote points.
    const settled = async () =>
      (
        await admin.query<{ id: string; status: string; error: string | null; runs: string[]; wrote: boolean }>(
          `SELECT i.id, i.sync_status::text AS status, i.last_error_message AS error,
                  array(SELECT r.status::text FROM sync_runs AS r WHERE r.integration_id = i.id) AS runs,
                  EXISTS (SELECT FROM sync_runs AS r WHERE r.integration_id = i.id AND r.points_written > 0) AS wrote
             FROM integrations AS i ORDER BY i.id`,
        )
      ).rows;
    await expect
      .poll(settled)
      .toEqual(ids.sort().map((id) => ({ id, status: "SUCCEEDED", error: null, runs: ["SUCCEEDED"], wrote: true })));
    // Each synced KPI now has its 90 days, up to today, from the demo source.
    const { rows: kpis } = await admin.query<{ name: string; points: string; newest: Date | null }>(
      `SELECT k.name, count(p.*) AS points, max(p."timestamp") AS newest
         FROM integration_metrics AS m JOIN kpis AS k ON k.id = m.kpi_id
         LEFT JOIN kpi_data_points AS p ON p.kpi_id = k.id AND p.source = 'INTEGRATION'
        GROUP BY k.name ORDER BY k.name`,
    );
    expect(kpis).toHaveLength(ids.length);
    for (const kpi of kpis) {
      expect(Number(kpi.points), kpi.name).toBeGreaterThanOrEqual(90);
      expect(kpi.newest?.getTime(), kpi.name).toBeGreaterThanOrEqual(today.getTime());
    }
  });
});
