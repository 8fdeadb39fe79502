import { beforeAll, describe, expect, test } from "vitest";
import { SeriesColumns } from "@northstar/core/transformer";
import type { ChartAnswer, ChartReading } from "../src/kpi/chart.ts";
import { ChartCache } from "../src/kpi/chart-cache.ts";
import {
  callerFor,
  type Caller,
  createWorkspace,
  expectCode,
  ownerMemberViewer,
  type SignedInUser,
  signedInUser,
  useApiDatabase,
} from "./support.ts";

// kpi.series with the host's kept charts (kpi/chart-cache.ts): a kept chart is the chart the
// database would answer, every write shows in the next answer, and nobody gets a chart they could
// not read without the cache.

const ctx = useApiDatabase();
let owner: SignedInUser, viewer: SignedInUser, outsider: SignedInUser;
let ws: { workspaceId: string };
let charts: ChartCache;
let cached: { owner: Caller; viewer: Caller; outsider: Caller };

const day = 86_400_000;
const to = new Date(Date.UTC(2026, 10, 20));
const from = new Date(to.getTime() - 4 * day);
const at = (days: number, hours = 0) => new Date(from.getTime() + days * day + hours * 3_600_000);

beforeAll(async () => {
  ({ owner, viewer, ws } = await ownerMemberViewer(ctx()));
  outsider = await signedInUser(ctx(), "Outsider");
  await createWorkspace(ctx().admin, [[outsider.id, "OWNER"]]);
  charts = new ChartCache({ maxBytes: 1024 * 1024 });
  const withCache = (user: SignedInUser) => callerFor(ctx().db, user.token, { charts });
  cached = { owner: withCache(owner), viewer: withCache(viewer), outsider: withCache(outsider) };
});

async function kpiWithPoints(name: string) {
  const kpi = await owner.caller.kpi.create({ ...ws, name });
  await owner.caller.kpi.importPoints({
    ...ws,
    kpiId: kpi.id,
    data: [
      { timestamp: at(-2), value: 3 },
      { timestamp: at(0, 1), value: 5 },
      { timestamp: at(0, 2), value: 7 },
      { timestamp: at(2), value: 8 },
    ],
  });
  return kpi;
}

describe("kept charts", () => {
  test("a kept chart is the chart the database answers, served again without reading it", async () => {
    const kpi = await kpiWithPoints("Kept");
    const input = { ...ws, kpiId: kpi.id, from, to, buckets: 4 };
    const before = charts.stats();
    const first = await cached.viewer.kpi.series(input);
    const again = await cached.owner.kpi.series(input);
    expect(first).toEqual(await viewer.caller.kpi.series(input));
    expect(again).toEqual(first);
    expect(first.columns.count).toEqual([2, 0, 1, 0]);
    expect(charts.stats()).toMatchObject({ hits: before.hits + 1, misses: before.misses + 1 });
    // Another range, bucket count or calendar is another chart.
    const weekly = await cached.viewer.kpi.series({ ...input, calendar: "week" });
    expect(weekly).toEqual(await viewer.caller.kpi.series({ ...input, calendar: "week" }));
    expect(charts.stats().misses).toBe(before.misses + 2);
  });

  test("every write shows in the next answer: points added, deleted, the aggregation changed", async () => {
    const kpi = await kpiWithPoints("Written");
    const input = { ...ws, kpiId: kpi.id, from, to, buckets: 4 };
    const read = async () => {
      const answer = await cached.viewer.kpi.series(input);
      expect(answer).toEqual(await viewer.caller.kpi.series(input));
      return answer;
    };
    expect((await read()).columns.value).toEqual([6, null, 8, null]);
    await owner.caller.kpi.importPoints({ ...ws, kpiId: kpi.id, data: [{ timestamp: at(1), value: 1 }] });
    expect((await read()).columns.value).toEqual([6, 1, 8, null]);
    const points = await owner.caller.kpi.points({ ...ws, kpiId: kpi.id });
    const eight = points.items.find((point) => point.value === 8);
    await owner.caller.kpi.deletePoint({ ...ws, pointId: eight?.id ?? "" });
    expect((await read()).columns.value).toEqual([6, 1, null, null]);
    await owner.caller.kpi.update({ ...ws, kpiId: kpi.id, aggregation: "SUM", direction: "LOWER_IS_BETTER" });
    const summed = await read();
    expect(summed.columns.value).toEqual([12, 1, null, null]);
    expect(summed.comparison?.trend).toBe("worse");
  });

  test("a kept chart is served to nobody who could not read it without the cache", async () => {
    const kpi = await kpiWithPoints("Walled");
    const input = { ...ws, kpiId: kpi.id, from, to, buckets: 4 };
    await cached.owner.kpi.series(input);
    // Not a member of the workspace; a member of another, naming the KPI there.
    await expectCode(cached.outsider.kpi.series(input), "NOT_FOUND");
    const [own] = await ctx()
      .admin.query<{ id: string }>(
        "SELECT w.id::text FROM workspaces AS w JOIN workspace_users AS m ON m.workspace_id = w.id WHERE m.user_id = $1",
        [outsider.id],
      )
      .then((result) => result.rows);
    await expectCode(cached.outsider.kpi.series({ ...input, workspaceId: own?.id ?? "" }), "NOT_FOUND");
  });
});

/** A chart answer of `buckets` buckets, as readChartAnswer would read it at `version`. */
function reading(version: string | null, buckets = 10, visible = true): ChartReading {
  const numbers = Array.from({ length: buckets }, (_, index) => index);
  const columns = new SeriesColumns({
    start: numbers,
    end: numbers,
    value: numbers,
    sum: numbers,
    avg: numbers,
    min: numbers,
    max: numbers,
    last: numbers,
    count: numbers,
  });
  const answer = {
    bucketWidthMs: 1,
    calendar: null,
    timeZone: "UTC",
    columns,
    previous: null,
    comparison: null,
    hidden: null,
  } satisfies ChartAnswer;
  return { answer, version, visible };
}

const keyFor = (kpiId: string, version: string | null) => ({
  workspaceId: "w",
  kpiId,
  version,
  from,
  to,
  buckets: 10,
  calendar: null,
  compare: true,
  aggregation: "SUM",
  direction: "HIGHER_IS_BETTER",
  timeZone: "UTC",
  visibleFrom: null,
});

/** A read that answers when `release` is called. */
function heldRead(answer: ChartReading) {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  return {
    read: async () => {
      calls += 1;
      await held;
      return answer;
    },
    release: () => {
      release();
    },
    calls: () => calls,
  };
}

describe("ChartCache, on its own", () => {
  test("requests for a chart being read wait for that one read", async () => {
    const cache = new ChartCache({ maxBytes: 1024 * 1024 });
    const slow = heldRead(reading("7"));
    const waiting = Array.from({ length: 5 }, () => cache.get(keyFor("k", "7"), slow.read));
    slow.release();
    const answers = await Promise.all(waiting);
    expect(slow.calls()).toBe(1);
    for (const answer of answers) expect(answer).toBe(answers[0]);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 1, charts: 1 });
  });

  test("a chart read at another version, or by a reader that did not see the KPI, is answered but not kept", async () => {
    const cache = new ChartCache({ maxBytes: 1024 * 1024 });
    const newer = reading("8");
    expect(await cache.get(keyFor("k", "7"), () => Promise.resolve(newer))).toBe(newer.answer);
    const unseen = reading("7", 10, false);
    expect(await cache.get(keyFor("k", "7"), () => Promise.resolve(unseen))).toBe(unseen.answer);
    expect(cache.stats()).toMatchObject({ misses: 2, charts: 0 });
    // Those who waited on a read that was not kept read for themselves.
    const slow = heldRead(reading("8"));
    const first = cache.get(keyFor("k", "7"), slow.read);
    const second = cache.get(keyFor("k", "7"), () => Promise.resolve(reading("7")));
    slow.release();
    await first;
    expect((await second).columns.start).toHaveLength(10);
  });

  test("a read still running when the cache evicts its entry still answers", async () => {
    const cache = new ChartCache({ maxBytes: 3 * (1_024 + 10 * 320) });
    const slow = heldRead(reading("1"));
    const pending = cache.get(keyFor("slow", "1"), slow.read);
    for (const kpiId of ["a", "b", "c", "d", "e"])
      await cache.get(keyFor(kpiId, "1"), () => Promise.resolve(reading("1")));
    slow.release();
    expect((await pending).columns.start).toHaveLength(10);
  });
});

describe("ChartCache", () => {
  test("keeps no chart larger than its memory, and refuses a size below one chart", async () => {
    const tiny = new ChartCache({ maxBytes: 2_048 });
    const caller = callerFor(ctx().db, viewer.token, { charts: tiny });
    const kpi = await kpiWithPoints("Too big");
    const input = { ...ws, kpiId: kpi.id, from, to, buckets: 100, calendar: "hour" as const };
    expect(await caller.kpi.series(input)).toEqual(await viewer.caller.kpi.series(input));
    await caller.kpi.series(input);
    expect(tiny.stats()).toMatchObject({ misses: 2, charts: 0, bytes: 0 });
    expect(() => new ChartCache({ maxBytes: 10 })).toThrow(RangeError);
  });
});
