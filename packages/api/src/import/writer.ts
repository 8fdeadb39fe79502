import type { ScopedDb } from "@northstar/db";
import { type DatabaseError, Prisma, toDatabaseError } from "@northstar/db";
import { ImportLinesError, type LineError } from "../kpi/import.ts";

// The write half of an import: points in, batched idempotent upserts out, inside the caller's one
// transaction. Each batch is one INSERT … ON CONFLICT (workspace, KPI, timestamp, source) that
// rewrites only a point whose value changed, so re-importing a file changes nothing and a changed
// value updates its point; the statement-level triggers keep each KPI's current value in one pass
// per batch. Points of a KPI the import itself created need no conflict check: a plain INSERT.
// One batch is in flight while the next is parsed, so the file is read while PostgreSQL writes.
// Once a line is bad nothing more is sent, and finish() throws, so the caller's transaction rolls
// back whatever was written.

/** Points per statement: large enough that a round trip is cheap beside it, small enough to stream. */
const batchPoints = 5_000;

/** Bad lines kept for the answer; the rest are counted. */
export const maxReportedLines = 100;

/** The earliest and latest instants PostgreSQL and Prisma both store as a four-digit year. */
const earliestMs = new Date("0001-01-01T00:00:00.000Z").getTime();
const latestMs = new Date("9999-12-31T23:59:59.999Z").getTime();

export interface WriteCounts {
  /** Points in the input (empty cells are not points). */
  points: number;
  inserted: number;
  /** Points already there with another value, now updated. */
  updated: number;
  /** Points already there with the same value, left alone. */
  unchanged: number;
}

/** A growable column of numbers, so that a million timestamps cost 8 MB, not a million objects. */
class NumberColumn {
  private data = new Float64Array(1_024);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Every timestamp a KPI got and the line it came from: duplicates are found once, at the end. */
class TimestampLog {
  private readonly times = new NumberColumn();
  private readonly lines = new NumberColumn();
  private sorted = true;
  private last = Number.NEGATIVE_INFINITY;

  add(time: number, line: number): void {
    if (time < this.last) this.sorted = false;
    this.last = time;
    this.times.push(time);
    this.lines.push(line);
  }

  /** Pairs of lines with the same timestamp: [earlier line, later line]. */
  duplicates(limit: number): [number, number][] {
    const times = this.times.values();
    const lines = this.lines.values();
    const found: [number, number][] = [];
    if (this.sorted) {
      // Files are usually in time order: neighbours are enough.
      for (let index = 1; index < times.length && found.length < limit; index++) {
        if (times[index] === times[index - 1]) found.push([lines[index - 1] ?? 0, lines[index] ?? 0]);
      }
      return found;
    }
    const order = Uint32Array.from(times.keys()).sort((a, b) => (times[a] ?? 0) - (times[b] ?? 0) || a - b);
    for (let index = 1; index < order.length && found.length < limit; index++) {
      const before = order[index - 1] ?? 0;
      const at = order[index] ?? 0;
      if (times[at] === times[before]) found.push([lines[before] ?? 0, lines[at] ?? 0]);
    }
    return found;
  }
}

export class PointWriter {
  private readonly db: ScopedDb;
  private readonly workspaceId: string;
  /** The KPIs points go to; a point names one by its index here. */
  private readonly kpiIds: readonly string[];
  /** How a KPI is named in messages (its column). */
  private readonly kpiLabels: readonly string[];
  /**
   * Per KPI: created by this import's transaction, so no other transaction can hold points of
   * it and a plain INSERT is safe, without ON CONFLICT's speculative insertion.
   */
  private readonly fresh: readonly boolean[];
  private readonly logs: TimestampLog[];
  private kpiIndexes: number[] = [];
  private times: number[] = [];
  private values: number[] = [];
  /** Timestamps of the batch being filled, per KPI: a statement must not touch a point twice. */
  private batchTimes: Set<number>[];
  private pending: Promise<void> | null = null;
  /** A fresh KPI's INSERT met a point already sent (a repeat across batches): reported at the end. */
  private repeated: DatabaseError | null = null;
  private readonly errors: LineError[] = [];
  private errorCount = 0;
  private points = 0;
  private inserted = 0;
  private updated = 0;

  constructor(
    db: ScopedDb,
    workspaceId: string,
    kpiIds: readonly string[],
    kpiLabels: readonly string[],
    fresh: readonly boolean[] = kpiIds.map(() => false),
  ) {
    this.db = db;
    this.workspaceId = workspaceId;
    this.kpiIds = kpiIds;
    this.kpiLabels = kpiLabels;
    this.fresh = fresh;
    this.logs = kpiIds.map(() => new TimestampLog());
    this.batchTimes = kpiIds.map(() => new Set());
  }

  get failed(): boolean {
    return this.errorCount > 0 || this.repeated !== null;
  }

  /** A bad line: nothing more is written, and finish() reports it. */
  reject(line: number, message: string): void {
    this.errorCount++;
    if (this.errors.length < maxReportedLines) this.errors.push({ line, message });
  }

  /** One point of one KPI, from `line`; a full batch waits for flush(). */
  add(line: number, kpiIndex: number, time: number, value: number): void {
    if (!(time >= earliestMs && time <= latestMs)) {
      this.reject(line, `Line ${line}: the timestamp is outside the years 1 to 9999`);
      return;
    }
    this.points++;
    this.logs[kpiIndex]?.add(time, line);
    if (this.failed) return;
    const batch = this.batchTimes[kpiIndex];
    // A repeat inside the batch is left out of it; the end-of-import check names both lines.
    if (!batch || batch.has(time)) return;
    batch.add(time);
    this.kpiIndexes.push(kpiIndex + 1);
    this.times.push(time);
    this.values.push(value);
  }

  /** Sends the batch once it is full (after the one in flight is answered): call between rows. */
  async flush(): Promise<void> {
    if (!this.failed && this.times.length >= batchPoints) await this.send();
  }

  /**
   * Sends what is left and checks for repeated timestamps. Throws ImportLinesError when any line
   * was bad (the caller's transaction must then roll back); otherwise the counts.
   */
  async finish(): Promise<WriteCounts> {
    if (!this.failed) await this.send();
    await this.settle();
    for (const [index, log] of this.logs.entries()) {
      const room = maxReportedLines - this.errors.length;
      for (const [first, second] of log.duplicates(Math.max(room, 1))) {
        const label = this.kpiLabels[index] ?? `KPI ${index + 1}`;
        this.reject(second, `Line ${second}: same timestamp as line ${first} for ${JSON.stringify(label)}`);
      }
    }
    if (this.errorCount > 0) {
      this.errors.sort((a, b) => a.line - b.line);
      throw new ImportLinesError(this.errors, this.errorCount);
    }
    // A unique violation the duplicate check cannot explain is a real failure.
    if (this.repeated !== null) throw this.repeated;
    const written = this.inserted + this.updated;
    return {
      points: this.points,
      inserted: this.inserted,
      updated: this.updated,
      unchanged: this.points - written,
    };
  }

  /** Waits for the batch in flight, if any (its failure is the import's failure). */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (pending) await pending;
  }

  private async send(): Promise<void> {
    await this.settle();
    // The batch in flight may have failed meanwhile: then nothing more is sent.
    if (this.failed || this.times.length === 0) return;
    const statements = this.statements();
    this.kpiIndexes = [];
    this.times = [];
    this.values = [];
    this.batchTimes = this.kpiIds.map(() => new Set());
    this.pending = (async () => {
      for (const statement of statements) {
        const rows = await this.db.$queryRaw<{ inserted: number; updated: number }[]>(statement);
        this.inserted += rows[0]?.inserted ?? 0;
        this.updated += rows[0]?.updated ?? 0;
      }
    })().catch((error: unknown) => {
      // Only a fresh KPI's plain INSERT can meet its own earlier point: the end-of-import check names the lines.
      const database = toDatabaseError(error);
      if (database?.kind === "unique_violation" && this.fresh.some(Boolean)) this.repeated = database;
      else throw error;
    });
    // Read later by settle(); until then a failure must not count as unhandled.
    this.pending.catch(() => undefined);
  }

  /** The batch as one statement per kind of KPI: fresh ones inserted, existing ones upserted. */
  private statements(): Prisma.Sql[] {
    const split = { fresh: new Batch(), existing: new Batch() };
    for (let index = 0; index < this.times.length; index++) {
      const kpi = this.kpiIndexes[index] ?? 1;
      const batch = this.fresh[kpi - 1] ? split.fresh : split.existing;
      batch.add(kpi, this.times[index] ?? 0, this.values[index] ?? 0);
    }
    const statements: Prisma.Sql[] = [];
    if (split.fresh.size > 0) statements.push(writeStatement(this.workspaceId, this.kpiIds, split.fresh, false));
    if (split.existing.size > 0) statements.push(writeStatement(this.workspaceId, this.kpiIds, split.existing, true));
    return statements;
  }
}

class Batch {
  readonly kpiIndexes: number[] = [];
  readonly times: number[] = [];
  readonly values: number[] = [];
  add(kpi: number, time: number, value: number): void {
    this.kpiIndexes.push(kpi);
    this.times.push(time);
    this.values.push(value);
  }
  get size(): number {
    return this.times.length;
  }
}

function writeStatement(workspaceId: string, kpiIds: readonly string[], batch: Batch, upsert: boolean): Prisma.Sql {
  // Epoch milliseconds travel as float8 and become timestamptz in the database: exact to the
  // millisecond, and far cheaper than a million ISO strings. An inserted point's created_at is this
  // transaction's start, now(); an updated one's is older, since a file that names a point twice is
  // refused as a whole. (`xmax = 0` told them apart before kpi_data_points was partitioned: a
  // partitioned table's RETURNING cannot read system columns.)
  const conflict = upsert
    ? Prisma.sql`ON CONFLICT (workspace_id, kpi_id, "timestamp", source) DO UPDATE SET value = excluded.value
        WHERE p.value IS DISTINCT FROM excluded.value`
    : Prisma.empty;
  return Prisma.sql`
    WITH written AS (
      INSERT INTO kpi_data_points AS p (workspace_id, kpi_id, value, "timestamp", source)
      SELECT ${workspaceId}::uuid, (${[...kpiIds]}::uuid[])[r.k], r.v, to_timestamp(r.ms / 1000.0), 'IMPORT'
        FROM unnest(${batch.kpiIndexes}::int4[], ${batch.times}::float8[], ${batch.values}::float8[]) AS r(k, ms, v)
      ${conflict}
      RETURNING (p.created_at = now()) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
      FROM written`;
}
