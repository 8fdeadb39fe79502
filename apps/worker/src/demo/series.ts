// The demo source's numbers: a few believable business series computed from the clock alone, so
// that every worker (and every test) serves the same value for the same hour, with nothing stored
// and no outside network. A level (MRR) has a point per hour; a daily total (revenue, deploys,
// sessions) has a point per UTC day, today's holding the total so far, so each sync moves the chart.

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** How far back the series reach: the worker's default backfill. */
export const demoHistoryDays = 90;

interface DemoSeriesSpec {
  kind: "level" | "daily total";
  /** The level (or the day's total) at the epoch's day 20,000 (2024-10-03), before growth. */
  base: number;
  /** Relative growth per day. */
  growth: number;
  /** Relative swing over the week (weekends lower). */
  weekly: number;
  /** Relative noise per point (per hour for daily totals). */
  noise: number;
  decimals: number;
}

export const demoSeries = {
  mrr: { kind: "level", base: 96_000, growth: 0.0012, weekly: 0, noise: 0.002, decimals: 0 },
  revenue: { kind: "daily total", base: 42_000, growth: 0.0008, weekly: 0.2, noise: 0.25, decimals: 2 },
  deploys: { kind: "daily total", base: 7, growth: 0.001, weekly: 0.7, noise: 1, decimals: 0 },
  sessions: { kind: "daily total", base: 19_000, growth: 0.0006, weekly: 0.3, noise: 0.2, decimals: 0 },
} as const satisfies Record<string, DemoSeriesSpec>;
export type DemoSeriesId = keyof typeof demoSeries;

export function isDemoSeriesId(value: string): value is DemoSeriesId {
  return Object.hasOwn(demoSeries, value);
}

export interface DemoPoint {
  timestamp: Date;
  value: number;
}

/** A number in [0, 1) from a series and an hour: the same inputs, the same number (a 32-bit mix). */
function noiseAt(seed: number, hour: number): number {
  let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(hour, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 4_294_967_296;
}

function seedOf(id: DemoSeriesId): number {
  let seed = 17;
  for (const char of id) seed = (Math.imul(seed, 31) + char.charCodeAt(0)) >>> 0;
  return seed;
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** The trend and the weekday rhythm at an hour (UTC): Saturdays and Sundays are quieter. */
function expected(spec: DemoSeriesSpec, hour: number): number {
  const day = hour / 24;
  const weekday = new Date(hour * hourMs).getUTCDay();
  const rhythm = weekday === 0 || weekday === 6 ? 1 - spec.weekly : 1 + (spec.weekly * 2) / 5;
  return spec.base * (1 + spec.growth) ** (day - 20_000) * rhythm;
}

/** One hour's share of a daily total: a daytime bump, noisy, never negative. */
function hourAmount(spec: DemoSeriesSpec, seed: number, hour: number): number {
  const hourOfDay = hour % 24;
  const daytime = 0.4 + Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI) * 0.6 + 0.6;
  const shape = daytime / 24;
  return Math.max(0, expected(spec, hour) * shape * (1 + (noiseAt(seed, hour) * 2 - 1) * spec.noise));
}

/**
 * The series' points from `demoHistoryDays` before `now` up to `now`: hourly levels, or daily
 * totals (today's so far, counting the hours begun).
 */
export function demoPoints(id: DemoSeriesId, now: Date): DemoPoint[] {
  const spec: DemoSeriesSpec = demoSeries[id];
  const seed = seedOf(id);
  const currentHour = Math.floor(now.getTime() / hourMs);
  const firstDay = Math.floor(now.getTime() / dayMs) - demoHistoryDays;
  const points: DemoPoint[] = [];
  if (spec.kind === "level") {
    for (let hour = firstDay * 24; hour <= currentHour; hour++) {
      const value = expected(spec, hour) * (1 + (noiseAt(seed, hour) * 2 - 1) * spec.noise);
      points.push({ timestamp: new Date(hour * hourMs), value: round(value, spec.decimals) });
    }
    return points;
  }
  for (let day = firstDay; day * 24 <= currentHour; day++) {
    let total = 0;
    for (let hour = day * 24; hour < day * 24 + 24 && hour <= currentHour; hour++)
      total += hourAmount(spec, seed, hour);
    points.push({ timestamp: new Date(day * dayMs), value: round(total, spec.decimals) });
  }
  return points;
}
