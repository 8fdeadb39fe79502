import { LRUCache } from "lru-cache";
import { bucketCount, type ChartAnswer, type ChartReading } from "./chart.ts";

// Charts this host has computed, kept under the version of their KPI's data (the
// kpi_data_versions migration), so that a dashboard asking again for the same chart reads one
// small row instead of a year of rollups. Never stale: every request reads the KPI and its version
// under row-level security first, and a chart is served only for the version it was computed at
// (versions come from one sequence and never repeat). Each host keeps its own; nothing is shared.
//
// The key holds every input the answer depends on. Concurrent requests for the same missing chart
// wait for one computation (lru-cache's fetch). A chart is kept only when the statement that read it
// saw the KPI and the key's version in its own snapshot: a caller who lost access between the two
// round trips (an empty chart), or a write that landed between them, leaves nothing behind. Size is bounded by an estimate of each chart's
// heap: about 320 bytes per bucket (nine columns of numbers or nulls, as values and, once sent,
// as JSON text).

/** What one chart's answer depends on, but for the points behind it (that is `version`). */
export interface ChartKey {
  workspaceId: string;
  kpiId: string;
  /** The KPI's data version as kpiChartHeadQuery read it; null: no version row yet (a write will make one). */
  version: string | null;
  from: Date;
  to: Date;
  buckets: number;
  calendar: string | null;
  compare: boolean;
  aggregation: string;
  direction: string;
  timeZone: string;
  visibleFrom: Date | null;
}

const bytesPerBucket = 320;

/** One request's way to read its chart, and what it read when the chart was not kept. */
interface Computation {
  read: () => Promise<ChartReading>;
  version: string | null;
  unkept?: ChartAnswer;
}
const bytesPerChart = 1_024;

function keyOf(key: ChartKey): string {
  return JSON.stringify([
    key.workspaceId,
    key.kpiId,
    key.version,
    key.from.getTime(),
    key.to.getTime(),
    key.buckets,
    key.calendar,
    key.compare,
    key.aggregation,
    key.direction,
    key.timeZone,
    key.visibleFrom?.getTime() ?? null,
  ]);
}

export class ChartCache {
  readonly #charts: LRUCache<string, ChartAnswer, Computation>;
  #calls = 0;
  #misses = 0;

  /** maxBytes: the estimated heap the kept charts may take (at least one chart's). */
  constructor(options: { maxBytes: number }) {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < bytesPerChart)
      throw new RangeError(`maxBytes must be a whole number of at least ${bytesPerChart}`);
    this.#charts = new LRUCache<string, ChartAnswer, Computation>({
      maxSize: options.maxBytes,
      sizeCalculation: (chart) => bytesPerChart + bucketCount(chart) * bytesPerBucket,
      // A computation still running when its entry is evicted finishes for those waiting on it
      // (lru-cache would otherwise reject them with "evicted": a 500 on a busy host).
      ignoreFetchAbort: true,
      fetchMethod: async (_key, _stale, { context }) => {
        this.#misses += 1;
        const reading = await context.read();
        if (reading.visible && reading.version === context.version) return reading.answer;
        // Not kept (lru-cache keeps nothing for undefined): its own caller still gets it.
        context.unkept = reading.answer;
        return undefined;
      },
    });
  }

  /** The chart under `key`, read by `read` when this host has none for it. */
  async get(key: ChartKey, read: () => Promise<ChartReading>): Promise<ChartAnswer> {
    this.#calls += 1;
    const computation: Computation = { read, version: key.version };
    const chart = await this.#charts.fetch(keyOf(key), { context: computation });
    if (chart !== undefined) return chart;
    // Read but not kept: by this request, or by another one this request waited for.
    return computation.unkept ?? (await read()).answer;
  }

  /** Hits (a kept chart, or one being computed for another request) and misses since the cache was made, and what it holds now. */
  stats(): { hits: number; misses: number; charts: number; bytes: number } {
    return {
      hits: this.#calls - this.#misses,
      misses: this.#misses,
      charts: this.#charts.size,
      bytes: this.#charts.calculatedSize,
    };
  }
}
