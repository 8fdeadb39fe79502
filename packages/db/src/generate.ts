import { randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { createPointMonths } from "./partitions.ts";
import { prng } from "./prng.ts";

// Bulk data for load tests: N workspaces (each with its owner), M KPIs each, a point every
// interval over D days. Rows are rendered as COPY text a chunk at a time and streamed with
// COPY FROM STDIN, one COPY (its own committed transaction) per batch of about 100,000 rows, so
// memory stays flat and the current-value trigger runs once per batch over that batch's rows.

export interface GenerateOptions {
  /** Owner URL (superuser or table owner): row-level security does not apply to it. */
  url: string;
  workspaces: number;
  kpisPerWorkspace: number;
  days: number;
  intervalSeconds: number;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

export interface GenerateResult {
  points: number;
  seconds: number;
  pointsPerSecond: number;
}

/** Points per KPI the generator accepts: timestamps are rendered once and shared by every KPI. */
export const maxPointsPerKpi = 1_000_000;
const rowsPerBatch = 100_000;
const rowsPerChunk = 2_000;
const copyDataPoints = `COPY kpi_data_points (workspace_id, kpi_id, value, "timestamp", source) FROM STDIN`;

interface Profile {
  name: string;
  unit: string;
  category: string;
  direction: "HIGHER_IS_BETTER" | "LOWER_IS_BETTER";
  /** Counts per point SUM (their target is a month's total), rates AVERAGE, levels LAST. */
  aggregation: "SUM" | "AVERAGE" | "LAST";
  base: number;
  decimals: number;
  daily: number;
  weekly: number;
  noise: number;
}

const profiles: Profile[] = [
  {
    name: "Monthly recurring revenue",
    unit: "USD",
    category: "Revenue",
    direction: "HIGHER_IS_BETTER",
    aggregation: "LAST",
    base: 90_000,
    decimals: 0,
    daily: 0,
    weekly: 0,
    noise: 0.01,
  },
  {
    name: "Churn rate",
    unit: "%",
    category: "Revenue",
    direction: "LOWER_IS_BETTER",
    aggregation: "AVERAGE",
    base: 3,
    decimals: 2,
    daily: 0,
    weekly: 0,
    noise: 0.08,
  },
  {
    name: "New signups",
    unit: "signups",
    category: "Growth",
    direction: "HIGHER_IS_BETTER",
    aggregation: "SUM",
    base: 40,
    decimals: 0,
    daily: 0.5,
    weekly: 0.25,
    noise: 0.15,
  },
  {
    name: "Activation rate",
    unit: "%",
    category: "Growth",
    direction: "HIGHER_IS_BETTER",
    aggregation: "AVERAGE",
    base: 38,
    decimals: 1,
    daily: 0,
    weekly: 0.05,
    noise: 0.04,
  },
  {
    name: "Active users",
    unit: "users",
    category: "Product",
    direction: "HIGHER_IS_BETTER",
    aggregation: "LAST",
    base: 2_500,
    decimals: 0,
    daily: 0.6,
    weekly: 0.2,
    noise: 0.05,
  },
  {
    name: "API p95 latency",
    unit: "ms",
    category: "Product",
    direction: "LOWER_IS_BETTER",
    aggregation: "AVERAGE",
    base: 280,
    decimals: 0,
    daily: 0.2,
    weekly: 0.05,
    noise: 0.1,
  },
  {
    name: "Error rate",
    unit: "%",
    category: "Product",
    direction: "LOWER_IS_BETTER",
    aggregation: "AVERAGE",
    base: 0.8,
    decimals: 3,
    daily: 0.3,
    weekly: 0,
    noise: 0.2,
  },
  {
    name: "Open support tickets",
    unit: "tickets",
    category: "Support",
    direction: "LOWER_IS_BETTER",
    aggregation: "LAST",
    base: 55,
    decimals: 0,
    daily: 0.15,
    weekly: 0.1,
    noise: 0.08,
  },
  {
    name: "First response time",
    unit: "min",
    category: "Support",
    direction: "LOWER_IS_BETTER",
    aggregation: "AVERAGE",
    base: 42,
    decimals: 1,
    daily: 0.3,
    weekly: 0.1,
    noise: 0.15,
  },
  {
    name: "Deploys",
    unit: "deploys",
    category: "Engineering",
    direction: "HIGHER_IS_BETTER",
    aggregation: "SUM",
    base: 3,
    decimals: 0,
    daily: 0.8,
    weekly: 0.7,
    noise: 0.3,
  },
];

/** A quarter past (or below) the base; a SUM KPI's is a month of points' worth (goal progress counts a month's total). */
function targetOf(profile: Profile, intervalSeconds: number): number {
  const perPoint = profile.base * (profile.direction === "HIGHER_IS_BETTER" ? 1.25 : 0.75);
  return profile.aggregation === "SUM" ? perPoint * Math.max(1, Math.round((30 * 86_400) / intervalSeconds)) : perPoint;
}

interface LoadKpi {
  workspaceId: string;
  kpiId: string;
  profile: Profile;
  /** Seed of its values: the same shape of run renders the same values. */
  seed: number;
}

function assertShape(options: Omit<GenerateOptions, "url" | "onProgress">): number {
  const { workspaces, kpisPerWorkspace, days, intervalSeconds } = options;
  for (const [name, value] of Object.entries({ workspaces, kpisPerWorkspace, days, intervalSeconds })) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  const perKpi = Math.floor((days * 86_400) / intervalSeconds);
  if (perKpi < 1)
    throw new RangeError(`an interval of ${intervalSeconds} s is longer than ${days} days: no point fits`);
  if (perKpi > maxPointsPerKpi)
    throw new RangeError(
      `${perKpi} points per KPI is more than ${maxPointsPerKpi}: use a longer interval or fewer days`,
    );
  return perKpi;
}

/** Owners, workspaces, memberships and KPIs in one transaction (the owner check is deferred to its commit). */
async function createTenants(
  client: pg.ClientBase,
  workspaces: number,
  kpisPerWorkspace: number,
  intervalSeconds: number,
): Promise<LoadKpi[]> {
  const run = randomBytes(4).toString("hex");
  const userIds = Array.from({ length: workspaces }, () => randomUUID());
  const workspaceIds = Array.from({ length: workspaces }, () => randomUUID());
  const kpis = workspaceIds.flatMap((workspaceId, w) =>
    Array.from({ length: kpisPerWorkspace }, (_, k): LoadKpi => {
      const profile = profiles[k % profiles.length];
      if (!profile) throw new Error("no KPI profiles to generate from");
      return { workspaceId, kpiId: randomUUID(), profile, seed: w * 7919 + k + 1 };
    }),
  );
  // Active KPI names are unique per workspace: the second round of profiles is "... 2".
  const kpiName = (index: number, profile: Profile) => {
    const round = Math.floor((index % kpisPerWorkspace) / profiles.length);
    return round === 0 ? profile.name : `${profile.name} ${round + 1}`;
  };
  await client.query("BEGIN");
  try {
    await client.query(
      `INSERT INTO users (id, email, name, provider, provider_account_id)
       SELECT id, 'load-' || $2 || '-' || n || '@example.com', 'Load owner ' || n, 'load', $2 || '-' || n
         FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`,
      [userIds, run],
    );
    await client.query(
      `INSERT INTO workspaces (id, name, slug)
       SELECT id, 'Load test ' || $2 || ' #' || n, 'load-' || $2 || '-' || n
         FROM unnest($1::uuid[]) WITH ORDINALITY AS w(id, n)`,
      [workspaceIds, run],
    );
    await client.query(
      `INSERT INTO workspace_users (workspace_id, user_id, role)
       SELECT * , 'OWNER' FROM unnest($1::uuid[], $2::uuid[])`,
      [workspaceIds, userIds],
    );
    await client.query(
      `INSERT INTO kpis (id, workspace_id, name, unit, category, direction, target_value, aggregation)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::"KpiDirection"[],
                            $7::float8[], $8::"KpiAggregation"[])`,
      [
        kpis.map((kpi) => kpi.kpiId),
        kpis.map((kpi) => kpi.workspaceId),
        kpis.map((kpi, i) => kpiName(i, kpi.profile)),
        kpis.map((kpi) => kpi.profile.unit),
        kpis.map((kpi) => kpi.profile.category),
        kpis.map((kpi) => kpi.profile.direction),
        kpis.map((kpi) => targetOf(kpi.profile, intervalSeconds)),
        kpis.map((kpi) => kpi.profile.aggregation),
      ],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  return kpis;
}

/** What every KPI shares: each timestamp's text and its time-of-day and weekday rhythm. */
interface Timeline {
  /** The first and the last instant, in milliseconds. */
  first: number;
  last: number;
  suffixes: string[];
  daily: Float64Array;
  weekly: Float64Array;
}

function buildTimeline(points: number, intervalSeconds: number, now: number): Timeline {
  const step = intervalSeconds * 1000;
  const end = Math.floor(now / step) * step;
  const timeline: Timeline = {
    first: end - (points - 1) * step,
    last: end,
    suffixes: [],
    daily: new Float64Array(points),
    weekly: new Float64Array(points),
  };
  for (let i = 0; i < points; i++) {
    const date = new Date(end - (points - 1 - i) * step);
    timeline.suffixes.push(`\t${date.toISOString()}\tIMPORT\n`);
    timeline.daily[i] = -Math.cos((2 * Math.PI * (date.getUTCHours() + date.getUTCMinutes() / 60 - 3)) / 24);
    timeline.weekly[i] = date.getUTCDay() === 0 || date.getUTCDay() === 6 ? -1 : 0.4;
  }
  return timeline;
}

/** The monthly partitions of the timeline's span, created before its points arrive. */
async function createTimelineMonths(client: pg.ClientBase, timeline: Timeline): Promise<void> {
  await createPointMonths(client, new Date(timeline.first), new Date(timeline.last));
}

/** COPY text of the given KPIs' points, up to `rowsPerChunk` rows a chunk; holds one chunk at a time. */
function* renderPoints(kpis: LoadKpi[], timeline: Timeline): Generator<[text: string, rows: number]> {
  const points = timeline.suffixes.length;
  for (const kpi of kpis) {
    const random = prng(kpi.seed);
    const { base, decimals, daily, weekly, noise } = kpi.profile;
    const level = base * (0.6 + 0.8 * random());
    const growth = (random() - 0.35) * 0.6; // relative change over the whole span, mostly upwards
    const scale = 10 ** decimals;
    const prefix = `${kpi.workspaceId}\t${kpi.kpiId}\t`;
    let drift = 0;
    let chunk = "";
    for (let i = 0; i < points; i++) {
      drift = 0.9 * drift + 0.87 * (random() + random() + random() - 1.5); // AR(1), about unit variance
      const rhythm = 1 + daily * (timeline.daily[i] ?? 0) + weekly * (timeline.weekly[i] ?? 0);
      const value = level * (1 + (growth * i) / points) * rhythm * (1 + noise * drift);
      chunk += prefix + String(Math.round(Math.max(0, value) * scale) / scale) + (timeline.suffixes[i] ?? "");
      if ((i + 1) % rowsPerChunk === 0) {
        yield [chunk, rowsPerChunk];
        chunk = "";
      }
    }
    if (chunk !== "") yield [chunk, points % rowsPerChunk];
  }
}

/** Text of the chunks, reporting each chunk's rows as COPY takes it. */
function* texts(
  chunks: Iterable<[string, number]>,
  onChunk: (rows: number) => void = () => undefined,
): Generator<string> {
  for (const [text, rows] of chunks) {
    yield text;
    onChunk(rows);
  }
}

async function copyChunks(client: pg.ClientBase, chunks: Iterable<string>): Promise<number> {
  const copy = client.query(copyFrom(copyDataPoints));
  await pipeline(Readable.from(chunks, { highWaterMark: 4 }), copy);
  return copy.rowCount;
}

export async function generateData(options: GenerateOptions): Promise<GenerateResult> {
  const perKpi = assertShape(options);
  const started = performance.now();
  const client = new pg.Client({ connectionString: options.url, application_name: "northstar-generate" });
  await client.connect();
  try {
    const kpis = await createTenants(client, options.workspaces, options.kpisPerWorkspace, options.intervalSeconds);
    const timeline = buildTimeline(perKpi, options.intervalSeconds, Date.now());
    await createTimelineMonths(client, timeline);
    const total = kpis.length * perKpi;
    const kpisPerBatch = Math.max(1, Math.floor(rowsPerBatch / perKpi));
    let done = 0;
    let points = 0;
    options.onProgress?.(0, total);
    for (let first = 0; first < kpis.length; first += kpisPerBatch) {
      const batch = kpis.slice(first, first + kpisPerBatch);
      points += await copyChunks(
        client,
        texts(renderPoints(batch, timeline), (rows) => {
          done += rows;
          options.onProgress?.(done, total);
        }),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    return { points, seconds, pointsPerSecond: points / seconds };
  } finally {
    await client.end();
  }
}

/**
 * The baseline a benchmark compares generateData with: creates the same shape of tenants and
 * renders the same rows into `file`, untimed. Then `copyRaw` loads that file.
 */
export async function prepareRawCopy(
  options: Omit<GenerateOptions, "onProgress"> & { file: string },
): Promise<{ points: number }> {
  const perKpi = assertShape(options);
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    const kpis = await createTenants(client, options.workspaces, options.kpisPerWorkspace, options.intervalSeconds);
    const timeline = buildTimeline(perKpi, options.intervalSeconds, Date.now());
    await createTimelineMonths(client, timeline);
    await pipeline(Readable.from(texts(renderPoints(kpis, timeline))), createWriteStream(options.file));
    return { points: kpis.length * perKpi };
  } finally {
    await client.end();
  }
}

/** A raw COPY of a prepared file into kpi_data_points in one statement, timed alone: the ingest ceiling. */
export async function copyRaw(options: { url: string; file: string }): Promise<GenerateResult> {
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    const started = performance.now();
    const copy = client.query(copyFrom(copyDataPoints));
    await pipeline(createReadStream(options.file, { highWaterMark: 256 * 1024 }), copy);
    const seconds = (performance.now() - started) / 1000;
    return { points: copy.rowCount, seconds, pointsPerSecond: copy.rowCount / seconds };
  } finally {
    await client.end();
  }
}
