import { randomUUID } from "node:crypto";
import { operatorTransaction } from "@northstar/db/testing";
import { unzipSync } from "fflate";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { signedIn } from "./api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// The export download over real HTTP: GET /api/workspaces/:id/export.json and .zip with the
// session cookie. The owner gets the file as an attachment, streamed (more rows than one page, no
// Content-Length, and a client that stops reading stops the reads); everyone else gets what tRPC
// would answer, as JSON with a message: 401, 403 for a role that may not export, 404 for a
// workspace they are not in; a download another site starts is refused.

const ctx = useHostDatabase();
let host: RunningHost;
let owner: { id: string; cookie: string };
let viewer: { id: string; cookie: string };
let outsider: { id: string; cookie: string };
const workspaceId = randomUUID();
const slug = `export-${workspaceId.slice(0, 8)}`;
// Over the export's page of 5,000 rows, so the download spans several pages.
const points = 12_345;

beforeAll(async () => {
  host = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
  [owner, viewer, outsider] = await Promise.all([
    signedIn(host, ctx().admin),
    signedIn(host, ctx().admin),
    signedIn(host, ctx().admin),
  ]);
  await operatorTransaction(ctx().admin, async (client) => {
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Export, \"quoted\"', $2)", [
      workspaceId,
      slug,
    ]);
    await client.query(
      "INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER'), ($1, $3, 'VIEWER')",
      [workspaceId, owner.id, viewer.id],
    );
    // A name a spreadsheet would run as a formula, with a comma, a quote and a line break.
    const kpi = await client.query<{ id: string }>(
      "INSERT INTO kpis (workspace_id, name, description) VALUES ($1, '=HYPERLINK(\"x\")', E'a, \"b\"\\nc') RETURNING id",
      [workspaceId],
    );
    await client.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
       SELECT $1, $2, n * 0.5, timestamptz '2026-01-01' + n * interval '1 minute' FROM generate_series(1, $3::int) AS n`,
      [workspaceId, kpi.rows[0]?.id, points],
    );
  });
});

afterAll(async () => {
  await host.close();
});

function exportUrl(format: "json" | "zip", id: string = workspaceId): string {
  return `${host.url}/api/workspaces/${id}/export.${format}`;
}

describe("an owner downloads", () => {
  test("the JSON document, as an attachment, streamed", async () => {
    const response = await fetch(exportUrl("json"), {
      headers: { cookie: owner.cookie, "sec-fetch-site": "same-origin" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const today = new Date().toISOString().slice(0, 10);
    expect(response.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="northstar-${slug}-(${today}|\\d{4}-\\d{2}-\\d{2})\\.json"$`),
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // Streamed: the length is not known up front.
    expect(response.headers.get("content-length")).toBeNull();
    const document = (await response.json()) as { tables: Record<string, Record<string, unknown>[]> };
    expect(document.tables.workspaces?.[0]).toMatchObject({ id: workspaceId, name: 'Export, "quoted"' });
    expect(document.tables.kpis?.[0]?.name).toBe('=HYPERLINK("x")');
    const ids = new Set(document.tables.kpi_data_points?.map((row) => row.id));
    expect(ids.size).toBe(points);
  });

  test("the ZIP of CSV files: RFC 4180 quoting, formulas defused, every row", async () => {
    const response = await fetch(exportUrl("zip"), { headers: { cookie: owner.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="northstar-export-.*\.zip"$/);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const text = (name: string) => Buffer.from(files[name] ?? new Uint8Array()).toString("utf8");
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["README.txt", "workspaces.csv", "kpi_data_points.csv"]));
    expect(text("workspaces.csv")).toContain(`,"Export, ""quoted""",${slug},`);
    expect(text("workspaces.csv").split("\r\n")[0]).toBe("id,name,slug,time_zone,created_at,updated_at");
    const kpis = Papa.parse<Record<string, string>>(text("kpis.csv"), { header: true, skipEmptyLines: true });
    expect(kpis.data[0]).toMatchObject({ name: `'=HYPERLINK("x")`, description: 'a, "b"\nc' });
    const rows = Papa.parse<Record<string, string>>(text("kpi_data_points.csv"), {
      header: true,
      skipEmptyLines: true,
    });
    expect(rows.errors).toEqual([]);
    expect(new Set(rows.data.map((row) => row.id)).size).toBe(points);
    expect(rows.data.find((row) => row.value === "6172.5")?.timestamp).toBe("2026-01-09T13:45:00.000Z");
  });

  test("a client that stops reading stops the export's reads; one export per user at a time", async () => {
    // The data points wait behind the operator's lock, so the client surely leaves mid-export.
    const locker = await ctx().admin.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE kpi_data_points IN ACCESS EXCLUSIVE MODE");
      const response = await fetch(exportUrl("json"), { headers: { cookie: owner.cookie } });
      const reader = response.body?.getReader();
      if (!reader) throw new Error("no body");
      expect((await reader.read()).done).toBe(false);
      // While it runs, a second one of the same user is refused before it reads anything.
      const second = await fetch(exportUrl("zip"), { headers: { cookie: owner.cookie } });
      expect(second.status).toBe(429);
      expect(second.headers.get("retry-after")).toBe("10");
      expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(/still downloading/);
      await reader.cancel();
    } finally {
      await locker.query("ROLLBACK");
      locker.release();
    }
    await vi.waitFor(
      () => {
        expect(host.logs.lines.some((line) => line.msg === "workspace export cancelled by the client")).toBe(true);
      },
      { timeout: 30_000, interval: 50 },
    );
    const finished = host.logs.lines.filter(
      (line) => line.msg === "workspace exported" && line.format === "json" && line.workspaceId === workspaceId,
    );
    // Only the first test's full download finished.
    expect(finished).toHaveLength(1);
    // Once it has ended, the user may export again.
    const again = await fetch(exportUrl("json"), { headers: { cookie: owner.cookie } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { tables: { kpi_data_points: unknown[] } }).tables.kpi_data_points).toHaveLength(
      points,
    );
  });
});

describe("everyone else is refused as tRPC refuses them", () => {
  async function refused(url: string, headers: Record<string, string>) {
    const response = await fetch(url, { headers });
    const body = (await response.json()) as { error: { code: string; message: string } };
    return { status: response.status, ...body.error, disposition: response.headers.get("content-disposition") };
  }

  test("a viewer: 403 with the reason; an outsider and a malformed id: 404; no session: 401", async () => {
    expect(await refused(exportUrl("zip"), { cookie: viewer.cookie })).toEqual({
      status: 403,
      code: "FORBIDDEN",
      message: "Only an owner of this workspace can export its data; ask an owner to export it.",
      disposition: null,
    });
    expect(await refused(exportUrl("json"), { cookie: outsider.cookie })).toMatchObject({
      status: 404,
      message: "Workspace not found.",
    });
    expect(await refused(exportUrl("json", "not-a-uuid"), { cookie: owner.cookie })).toMatchObject({
      status: 404,
      message: "Workspace not found.",
    });
    expect(await refused(exportUrl("json"), {})).toMatchObject({ status: 401, message: "Sign in to continue." });
  });

  test("a download another site starts, even with the owner's cookie", async () => {
    expect(await refused(exportUrl("json"), { cookie: owner.cookie, "sec-fetch-site": "cross-site" })).toMatchObject({
      status: 403,
      code: "FORBIDDEN",
      disposition: null,
    });
  });
});
