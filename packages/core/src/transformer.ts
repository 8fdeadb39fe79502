import { SuperJSON } from "superjson";
import { readSeriesColumns, writeSeriesColumns } from "./series-wire.ts";

// The API's wire format (tRPC's transformer), shared by the host and every client: superjson,
// which carries dates and other non-JSON values as they are, plus one type of its own in answers
// (inputs never carry it; see `inputs` below).
//
// A chart's columns are the bulk of most answers (a year of days and the year before: 6,570
// numbers, some 100 kB of JSON). superjson walks every one of them looking for values JSON cannot
// carry, which cost the host 2 to 4 ms of its one thread per chart, more than the database spends
// on it. As a SeriesColumns they travel as JSON text instead, written once per columns object: a
// chart the host keeps (the api's kpi/chart-cache.ts) is written once and sent as is after that,
// without the columns the others give (series-wire.ts). Columns hold only finite numbers and
// nulls (bucket figures from the database), which JSON carries exactly.

/** A chart's series, one array per figure, a value per bucket (see the api's kpi/compare.ts). */
export interface SeriesColumnsFields {
  /** Bucket starts and ends, epoch milliseconds. */
  start: number[];
  end: number[];
  /** The figure the KPI's aggregation names. */
  value: (number | null)[];
  sum: (number | null)[];
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  last: (number | null)[];
  count: number[];
}

export class SeriesColumns implements SeriesColumnsFields {
  readonly start: number[];
  readonly end: number[];
  readonly value: (number | null)[];
  readonly sum: (number | null)[];
  readonly avg: (number | null)[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  readonly last: (number | null)[];
  readonly count: number[];

  constructor(fields: SeriesColumnsFields) {
    this.start = fields.start;
    this.end = fields.end;
    this.value = fields.value;
    this.sum = fields.sum;
    this.avg = fields.avg;
    this.min = fields.min;
    this.max = fields.max;
    this.last = fields.last;
    this.count = fields.count;
  }
}

// Each columns object's text, kept as long as the object is (no field of its own, so that the
// type stays the plain shape clients see).
const texts = new WeakMap<SeriesColumns, string>();

function textOf(columns: SeriesColumns): string {
  let text = texts.get(columns);
  if (text === undefined) {
    text = writeSeriesColumns(columns);
    texts.set(columns, text);
  }
  return text;
}

/** Answers: superjson and the chart columns. */
const answers = new SuperJSON();

answers.registerCustom<SeriesColumns, string>(
  {
    isApplicable: (value): value is SeriesColumns => value instanceof SeriesColumns,
    serialize: textOf,
    // A plain object where it arrives (the client): TanStack Query's structural sharing compares
    // plain objects only, so an unchanged chart keeps its identity across refetches.
    deserialize: readSeriesColumns,
  },
  // Named for the compact text (series-wire.ts): a client still on the former text, JSON of the
  // whole columns, fails on the unknown name rather than reading the arrays as fields.
  "SeriesColumns3",
);

/**
 * Inputs: superjson alone. No call takes chart columns, and their runs expand (series-wire.ts):
 * read on the server, a few bytes of input naming the type could ask it for arrays of any length
 * before anyone signed in. An input that names the type is refused as an unknown value.
 */
const inputs = new SuperJSON();

/** tRPC's transformer for the host and every client: inputs one way, answers the other. */
export const transformer = { input: inputs, output: answers };
