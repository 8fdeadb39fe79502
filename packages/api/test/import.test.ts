import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, test } from "vitest";
import { importCsv, ImportQuestionsError } from "../src/import/engine.ts";
import { kpiAggregations } from "../src/import/mapping.ts";
import { ImportLinesError } from "../src/kpi/import.ts";
import {
  createWorkspace,
  expectCode,
  giveSubscription,
  trpcError,
  ownerMemberViewer,
  type SignedInUser,
  signedInUser,
  useApiDatabase,
} from "./support.ts";

// The import engine through its tRPC procedures, with files shaped like the ones people have:
// public weather and CO2 series, spreadsheet exports from Europe, epoch times, a daylight-saving
// change. Each import is checked against the points the database holds afterwards.

const ctx = useApiDatabase();
let owner: SignedInUser, member: SignedInUser, viewer: SignedInUser;
let ws: { workspaceId: string };

beforeAll(async () => {
  ({ owner, member, viewer, ws } = await ownerMemberViewer(ctx()));
  // Imports here create many KPIs: a plan without a KPI limit (the limit has its own test).
  await giveSubscription(ctx().admin, owner.id, "PRO");
});

async function pointsOf(kpiId: string): Promise<[string, number][]> {
  const rows = await ctx().admin.query<{ timestamp: Date; value: number }>(
    `SELECT "timestamp", value FROM kpi_data_points WHERE kpi_id = $1 ORDER BY "timestamp"`,
    [kpiId],
  );
  return rows.rows.map((row) => [row.timestamp.toISOString(), row.value]);
}

async function kpiNamed(name: string) {
  const rows = await ctx().admin.query<{ id: string; aggregation: string; unit: string; current_value: number | null }>(
    "SELECT id, aggregation::text AS aggregation, unit, current_value FROM kpis WHERE workspace_id = $1 AND name = $2",
    [ws.workspaceId, name],
  );
  return rows.rows;
}

const newKpi = (name: string, extra: { unit?: string; aggregation?: (typeof kpiAggregations)[number] } = {}) => ({
  newKpi: { name, unit: extra.unit ?? "", aggregation: extra.aggregation ?? "AVERAGE" },
});

function linesOf(error: TRPCError): ImportLinesError {
  expect(error.cause).toBeInstanceOf(ImportLinesError);
  return error.cause as ImportLinesError;
}

const weather = [
  "date,precipitation,temp_max,temp_min,wind,weather",
  "2012-01-01,0.0,12.8,5.0,4.7,drizzle",
  "2012-01-02,10.9,10.6,2.8,4.5,rain",
  "2012-01-03,0.8,11.7,7.2,2.3,rain",
  "2012-01-04,20.3,12.2,5.6,4.7,rain",
  "2012-01-05,1.3,8.9,2.8,6.1,rain",
].join("\n");

describe("import: files as people have them", () => {
  test("a multi-column weather file: two columns into a new and an existing KPI, in one import", async () => {
    const rain = await owner.caller.kpi.create({ ...ws, name: "Rain", unit: "mm" });
    const preview = await member.caller.import.preview({
      ...ws,
      text: weather,
      options: { timestampColumn: "date", valueColumns: ["precipitation", "temp_max"] },
    });
    expect(preview.settings).toMatchObject({ delimiter: ",", decimal: ".", dateFormat: "YYYY-MM-DD", header: true });
    expect(preview.columns).toEqual(["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]);
    expect(preview.rows[1]).toEqual({ line: 3, timestamp: new Date("2012-01-02T00:00:00Z"), values: [10.9, 10.6] });
    expect(preview.totalRows).toBe(5);

    const result = await member.caller.import.csv({
      ...ws,
      text: weather,
      mapping: {
        timestampColumn: "date",
        columns: [
          { column: "precipitation", target: { kpiId: rain.id } },
          { column: "temp_max", target: newKpi("Max temperature", { unit: "°C", aggregation: "MAX" }) },
        ],
      },
    });
    expect(result).toMatchObject({ rows: 5, points: 10, inserted: 10, updated: 0, unchanged: 0 });
    const [created] = await kpiNamed("Max temperature");
    expect(created).toMatchObject({ aggregation: "MAX", unit: "°C", current_value: 8.9 });
    expect(result.kpis).toEqual([
      { column: "precipitation", kpiId: rain.id, name: "Rain", created: false },
      { column: "temp_max", kpiId: created?.id, name: "Max temperature", created: true },
    ]);
    expect((await pointsOf(rain.id)).slice(0, 2)).toEqual([
      ["2012-01-01T00:00:00.000Z", 0],
      ["2012-01-02T00:00:00.000Z", 10.9],
    ]);
    expect(await pointsOf(created?.id ?? "")).toHaveLength(5);
  });

  test("Date,CO2,adjusted CO2: both value columns, names with spaces; a quoted thousands value", async () => {
    const text = 'Date,CO2,adjusted CO2\n1958-03-01,315.70,314.44\n1958-04-01,"1,317.45",315.16\n';
    const result = await owner.caller.import.csv({
      ...ws,
      text,
      mapping: {
        timestampColumn: "Date",
        columns: [
          { column: "CO2", target: newKpi("CO2") },
          { column: "adjusted CO2", target: newKpi("CO2 adjusted", { unit: "ppm", aggregation: "LAST" }) },
        ],
      },
    });
    expect(result.points).toBe(4);
    expect(await pointsOf(result.kpis[0]?.kpiId ?? "")).toEqual([
      ["1958-03-01T00:00:00.000Z", 315.7],
      ["1958-04-01T00:00:00.000Z", 1317.45],
    ]);
  });

  test("semicolons and decimal commas with a byte-order mark, as European spreadsheets save them", async () => {
    const text = "\uFEFFDatum;Umsatz;Kosten\r\n13.11.2026;1.234,50;99,9\r\n14.11.2026;2.000,00;-5,25\r\n";
    const preview = await owner.caller.import.preview({ ...ws, text });
    expect(preview.settings).toMatchObject({ delimiter: ";", decimal: ",", dateFormat: "DD.MM.YYYY" });
    expect(preview.columns[0]).toBe("Datum");
    const result = await owner.caller.import.csv({
      ...ws,
      text,
      mapping: { timestampColumn: "Datum", columns: [{ column: "Umsatz", target: newKpi("Umsatz") }] },
    });
    expect(await pointsOf(result.kpis[0]?.kpiId ?? "")).toEqual([
      ["2026-11-13T00:00:00.000Z", 1234.5],
      ["2026-11-14T00:00:00.000Z", 2000],
    ]);
  });

  test("an ambiguous date column is asked about, never guessed; the answer is used", async () => {
    const text = "day,visits\n01/02/2026,5\n03/04/2026,7\n";
    const preview = await owner.caller.import.preview({ ...ws, text });
    expect(preview.settings).toBeNull();
    expect(preview.questions).toEqual([
      expect.objectContaining({ kind: "ambiguous_date", candidates: ["DD/MM/YYYY", "MM/DD/YYYY"] }),
    ]);
    const mapping = { timestampColumn: "day", columns: [{ column: "visits", target: newKpi("Visits") }] };
    const refused = await expectCode(owner.caller.import.csv({ ...ws, text, mapping }), "BAD_REQUEST");
    expect(refused.cause).toBeInstanceOf(ImportQuestionsError);
    expect(refused.message).toContain("01/02/2026");
    // Nothing was written, the new KPI included.
    expect(await kpiNamed("Visits")).toEqual([]);

    const result = await owner.caller.import.csv({ ...ws, text, mapping: { ...mapping, dateFormat: "DD/MM/YYYY" } });
    expect(await pointsOf(result.kpis[0]?.kpiId ?? "")).toEqual([
      ["2026-02-01T00:00:00.000Z", 5],
      ["2026-04-03T00:00:00.000Z", 7],
    ]);
  });

  test("epoch seconds and epoch milliseconds", async () => {
    const seconds = await owner.caller.import.csv({
      ...ws,
      text: "time,count\n1767225600,1\n1767229200,2\n",
      mapping: {
        timestampColumn: "time",
        columns: [{ column: "count", target: newKpi("Epoch s", { aggregation: "SUM" }) }],
      },
    });
    expect(await pointsOf(seconds.kpis[0]?.kpiId ?? "")).toEqual([
      ["2026-01-01T00:00:00.000Z", 1],
      ["2026-01-01T01:00:00.000Z", 2],
    ]);
    const millis = await owner.caller.import.csv({
      ...ws,
      text: "time,count\n1767225600123,1\n1767229200456,2\n",
      mapping: { timestampColumn: 0, columns: [{ column: 1, target: newKpi("Epoch ms") }] },
    });
    expect(await pointsOf(millis.kpis[0]?.kpiId ?? "")).toEqual([
      ["2026-01-01T00:00:00.123Z", 1],
      ["2026-01-01T01:00:00.456Z", 2],
    ]);
  });

  test("dates without an offset are read in the workspace's time zone, across a daylight-saving change", async () => {
    const berlin = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    await ctx().admin.query("UPDATE workspaces SET time_zone = 'Europe/Berlin' WHERE id = $1", [berlin.id]);
    // Clocks went from 02:00 to 03:00 on 2026-03-29: 01:30 is UTC+1, 03:30 is UTC+2.
    const text = "hour,load\n2026-03-29 01:30,1\n2026-03-29 03:30,2\n2026-03-30T00:00:00Z,3\n";
    const result = await owner.caller.import.csv({
      workspaceId: berlin.id,
      text,
      mapping: { timestampColumn: "hour", columns: [{ column: "load", target: newKpi("Load") }] },
    });
    expect(await pointsOf(result.kpis[0]?.kpiId ?? "")).toEqual([
      ["2026-03-29T00:30:00.000Z", 1],
      ["2026-03-29T01:30:00.000Z", 2],
      ["2026-03-30T00:00:00.000Z", 3],
    ]);
    // A zone given with the import wins over the workspace's.
    const utc = await owner.caller.import.csv({
      workspaceId: berlin.id,
      text,
      mapping: { timestampColumn: "hour", columns: [{ column: "load", target: newKpi("Load UTC") }], timeZone: "UTC" },
    });
    expect((await pointsOf(utc.kpis[0]?.kpiId ?? ""))[0]).toEqual(["2026-03-29T01:30:00.000Z", 1]);
  });
});

describe("import: all or nothing, idempotent", () => {
  test("any bad line and nothing is written; every bad line is named", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Strict" });
    const text = [
      "date,a,b",
      "2026-01-01,1,2",
      "2026-01-02,x,2",
      "2026-01-03,3,3",
      "2026-01-04,4",
      "2026-01-03,5,5",
      "not a date,6,6",
    ].join("\n");
    const error = await expectCode(
      member.caller.import.csv({
        ...ws,
        text,
        mapping: {
          timestampColumn: "date",
          columns: [
            { column: "a", target: { kpiId: kpi.id } },
            { column: "b", target: newKpi("Strict B") },
          ],
        },
      }),
      "BAD_REQUEST",
    );
    expect(error.message).toMatch(
      /^Nothing was imported: 5 line\(s\) need fixing \(Line 3, column "a": "x" is not a number/,
    );
    expect(linesOf(error).lines.map((line) => line.line)).toEqual([3, 5, 6, 6, 7]);
    expect(linesOf(error).lines[2]?.message).toBe('Line 6: same timestamp as line 4 for "a"');
    expect(await pointsOf(kpi.id)).toEqual([]);
    expect(await kpiNamed("Strict B")).toEqual([]);
  });

  test("bad lines are listed up to a readable number and all counted", async () => {
    const rows = Array.from(
      { length: 500 },
      (_, index) => `2026-01-01T00:00:${String(index % 60).padStart(2, "0")}Z,x`,
    );
    const error = await expectCode(
      owner.caller.import.csv({
        ...ws,
        text: ["t,v", "2025-01-01,1", ...rows].join("\n"),
        mapping: { timestampColumn: "t", columns: [{ column: "v", target: newKpi("Many errors") }] },
      }),
      "BAD_REQUEST",
    );
    expect(linesOf(error).total).toBe(500);
    expect(linesOf(error).lines).toHaveLength(100);
    expect(error.message).toContain("500 line(s) need fixing");
  });

  test("re-importing the same file changes nothing; a changed value updates its point", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Idempotent" });
    const mapping = { timestampColumn: "date", columns: [{ column: "temp_max", target: { kpiId: kpi.id } }] };
    expect(await owner.caller.import.csv({ ...ws, text: weather, mapping })).toMatchObject({ inserted: 5 });
    const before = await pointsOf(kpi.id);
    expect(await owner.caller.import.csv({ ...ws, text: weather, mapping })).toMatchObject({
      points: 5,
      inserted: 0,
      updated: 0,
      unchanged: 5,
    });
    expect(await pointsOf(kpi.id)).toEqual(before);
    const changed = weather.replace("2012-01-05,1.3,8.9", "2012-01-05,1.3,9.4");
    expect(await owner.caller.import.csv({ ...ws, text: changed, mapping })).toMatchObject({
      inserted: 0,
      updated: 1,
      unchanged: 4,
    });
    expect((await pointsOf(kpi.id)).at(-1)).toEqual(["2012-01-05T00:00:00.000Z", 9.4]);
    expect(await owner.caller.kpi.get({ ...ws, kpiId: kpi.id })).toMatchObject({ currentValue: 9.4 });
  });

  test("repeated timestamps far apart in a file are found (across batches), out of order too", async () => {
    const start = Date.UTC(2026, 0, 1);
    const lines = Array.from(
      { length: 12_000 },
      (_, index) => `${new Date(start + index * 60_000).toISOString()},${index}`,
    );
    lines.push(lines[3] ?? "");
    // Past a paste's 10,000 rows: the engine itself, as the upload route calls it.
    const error = await trpcError(
      ctx().db.withContext({ userId: owner.id, workspaceId: ws.workspaceId }, (db) =>
        importCsv(
          db,
          { workspaceId: ws.workspaceId, billing: null },
          {
            source: ["t,v", ...lines.reverse()].join("\n"),
            mapping: {
              timestampColumn: "t",
              columns: [
                {
                  column: "v",
                  target: {
                    newKpi: {
                      name: "Far repeat",
                      unit: "",
                      category: "General",
                      direction: "HIGHER_IS_BETTER",
                      aggregation: "SUM",
                    },
                  },
                },
              ],
            },
          },
        ),
      ),
    );
    // Reversed: the repeat comes first (line 2), the point it repeats at line 11,999.
    expect(linesOf(error).lines).toEqual([{ line: 11_999, message: 'Line 11999: same timestamp as line 2 for "v"' }]);
    expect(await kpiNamed("Far repeat")).toEqual([]);
  });

  test("viewers cannot import; another workspace's KPI is not found; pastes are capped", async () => {
    const mapping = { timestampColumn: "date", columns: [{ column: "wind", target: newKpi("Wind") }] };
    await expectCode(viewer.caller.import.csv({ ...ws, text: weather, mapping }), "FORBIDDEN");
    const stranger = await signedInUser(ctx(), "Stranger");
    const theirs = await createWorkspace(ctx().admin, [[stranger.id, "OWNER"]]);
    const theirKpi = await stranger.caller.kpi.create({ workspaceId: theirs.id, name: "Theirs" });
    await expectCode(
      owner.caller.import.csv({
        ...ws,
        text: weather,
        mapping: { timestampColumn: "date", columns: [{ column: "wind", target: { kpiId: theirKpi.id } }] },
      }),
      "NOT_FOUND",
    );
    const big = ["t,v", ...Array.from({ length: 10_001 }, (_, index) => `${1_700_000_000 + index * 60},1`)].join("\n");
    const capped = await expectCode(
      owner.caller.import.csv({
        ...ws,
        text: big,
        mapping: { ...mapping, timestampColumn: "t", columns: [{ column: "v", target: newKpi("Big") }] },
      }),
      "BAD_REQUEST",
    );
    expect(capped.message).toContain("more than 10,000 rows");
  });

  test("new KPIs count toward the plan's KPI limit; nothing is written when they do not fit", async () => {
    const freeOwner = await signedInUser(ctx(), "Free importer");
    const free = await createWorkspace(ctx().admin, [[freeOwner.id, "OWNER"]]);
    for (let index = 0; index < 9; index++)
      await freeOwner.caller.kpi.create({ workspaceId: free.id, name: `Existing ${index}` });
    const mapping = {
      timestampColumn: "date",
      columns: [
        { column: "wind", target: newKpi("Wind") },
        { column: "temp_min", target: newKpi("Min temperature") },
      ],
    };
    const refused = await expectCode(
      freeOwner.caller.import.csv({ workspaceId: free.id, text: weather, mapping }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toContain("allows 10 active KPIs");
    const one = { ...mapping, columns: mapping.columns.slice(0, 1) };
    expect(await freeOwner.caller.import.csv({ workspaceId: free.id, text: weather, mapping: one })).toMatchObject({
      points: 5,
    });
  });
});
