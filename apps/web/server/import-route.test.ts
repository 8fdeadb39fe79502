import { randomUUID } from "node:crypto";
import { operatorTransaction } from "@northstar/db/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signedIn } from "../test/api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "../test/support.ts";

// The upload route over real HTTP: a streamed text/csv body through the import engine, progress
// and the result as NDJSON; the same refusals as a tRPC write (session, membership, role, origin).

const ctx = useHostDatabase();
let host: RunningHost;
let owner: { id: string; cookie: string };
let viewer: { id: string; cookie: string };
let workspaceId: string;

beforeAll(async () => {
  host = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
  owner = await signedIn(host, ctx().admin);
  viewer = await signedIn(host, ctx().admin);
  workspaceId = randomUUID();
  await operatorTransaction(ctx().admin, async (client) => {
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Uploads', $2)", [
      workspaceId,
      `uploads-${workspaceId.slice(0, 8)}`,
    ]);
    await client.query(
      "INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER'), ($1, $3, 'VIEWER')",
      [workspaceId, owner.id, viewer.id],
    );
  });
});

afterAll(async () => {
  await host.close();
});

const mapping = {
  timestampColumn: "date",
  columns: [
    { column: "temp_max", target: { newKpi: { name: "Upload max", aggregation: "MAX" } } },
    { column: "wind", target: { newKpi: { name: "Upload wind" } } },
  ],
};

/** `rows` days of a weather file, sent a chunk at a time as a streamed request body. */
function weatherBody(rows: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next === 0) controller.enqueue(encoder.encode("date,precipitation,temp_max,temp_min,wind,weather\n"));
      if (next >= rows) {
        controller.close();
        return;
      }
      let chunk = "";
      for (const end = Math.min(rows, next + 5_000); next < end; next++) {
        const day = new Date(Date.UTC(1900, 0, 1) + next * 86_400_000).toISOString().slice(0, 10);
        chunk += `${day},0.5,${(next % 30) + 0.5},1.5,${next % 7},rain\n`;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
}

function upload(
  body: string | ReadableStream<Uint8Array>,
  options: { cookie?: string; origin?: string | null; map?: unknown } = {},
) {
  const query = new URLSearchParams({ workspaceId, mapping: JSON.stringify(options.map ?? mapping) });
  const headers: Record<string, string> = { "content-type": "text/csv", "x-trpc-source": "test" };
  if (options.cookie ?? owner.cookie) headers.cookie = options.cookie ?? owner.cookie;
  if (options.origin !== null) headers.origin = options.origin ?? host.url;
  return fetch(`${host.url}/import/csv?${query.toString()}`, { method: "POST", headers, body, duplex: "half" });
}

async function lines(
  response: Response,
): Promise<{ type: string; rows?: number; result?: unknown; error?: unknown }[]> {
  const text = await response.text();
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string });
}

describe("POST /import/csv", () => {
  test("a 40,000-row file, streamed: progress lines, then the result; the points are there", async () => {
    const response = await upload(weatherBody(40_000));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const answer = await lines(response);
    // A line once 25,000 more rows are read (counted a slice of the file at a time).
    const progress = answer.filter((line) => line.type === "progress").map((line) => line.rows ?? 0);
    expect(progress).toHaveLength(1);
    expect(progress[0]).toBeGreaterThanOrEqual(25_000);
    expect(progress[0]).toBeLessThan(40_000);
    expect(answer.at(-1)).toMatchObject({ type: "done", result: { rows: 40_000, points: 80_000, inserted: 80_000 } });
    const stored = await ctx().admin.query<{ name: string; n: number }>(
      `SELECT k.name, count(p.id)::int AS n FROM kpis AS k JOIN kpi_data_points AS p ON p.kpi_id = k.id
        WHERE k.workspace_id = $1 GROUP BY k.name ORDER BY k.name`,
      [workspaceId],
    );
    expect(stored.rows).toEqual([
      { name: "Upload max", n: 40_000 },
      { name: "Upload wind", n: 40_000 },
    ]);
  });

  test("a bad line: an error line naming it, nothing written", async () => {
    const map = { ...mapping, columns: [{ column: "wind", target: { newKpi: { name: "Never" } } }] };
    const response = await upload("date,wind\n2026-01-01,1\n2026-01-02,windy\n", { map });
    const answer = await lines(response);
    expect(answer.at(-1)?.type).toBe("error");
    expect(answer.at(-1)?.error).toMatchObject({
      code: "BAD_REQUEST",
      lines: [{ line: 3, message: 'Line 3, column "wind": "windy" is not a number' }],
      totalLines: 1,
    });
    const never = await ctx().admin.query("SELECT 1 FROM kpis WHERE name = 'Never'");
    expect(never.rowCount).toBe(0);
  });

  test("refused before anything is read: no session, a viewer, another origin, a bad mapping", async () => {
    const csv = "date,wind\n2026-01-01,1\n";
    const anonymous = await upload(csv, { cookie: "northstar_session=nope" });
    expect(anonymous.status).toBe(401);
    const asViewer = await upload(csv, { cookie: viewer.cookie });
    expect(asViewer.status).toBe(403);
    expect(await asViewer.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    const elsewhere = await upload(csv, { origin: "https://evil.example" });
    expect(elsewhere.status).toBe(403);
    const badMapping = await upload(csv, { map: { timestampColumn: "date", columns: [] } });
    expect(badMapping.status).toBe(400);
    expect(await badMapping.json()).toMatchObject({ error: { message: "Map at least one value column to a KPI" } });
    const stranger = await signedIn(host, ctx().admin);
    const outsider = await upload(csv, { cookie: stranger.cookie });
    expect(outsider.status).toBe(404);
  });
});
