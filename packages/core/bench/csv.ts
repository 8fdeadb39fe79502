// pnpm --filter @northstar/core bench:csv [--rows N]
// The CSV reader on 1,000,000 generated rows, streamed 2,000 rows a chunk (the text is never whole
// in memory): rows/s and peak RSS per file shape, beside the data generator's rate (db:generate-data
// into a throwaway database on DATABASE_URL's server) measured in the same run, and their ratio.
// The target: the reader at least half as fast as the generator.
import { parseArgs } from "node:util";
import { readCsv, readCsvBatches } from "../src/csv/read.ts";
import { isRowError } from "../src/csv/settings.ts";
import { databaseUrl } from "./env.ts";
import { measureGenerator } from "./generator-rate.ts";
import { csvChunks, type Shape, shapes } from "./rows.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { rows: { type: "string", default: "1000000" } },
});
const rows = Number(values.rows);
const format = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const megabytes = (kilobytes: number) => `${format.format(kilobytes / 1024)} MB`;

/** The most heap in use seen between two batches: what streaming keeps flat. */
let peakHeap = 0;
const sampleHeap = () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};

interface Result {
  label: string;
  rows: number;
  errors: number;
  seconds: number;
}

async function timeReader(shape: Shape, batched: boolean): Promise<Result> {
  let count = 0;
  let errors = 0;
  const started = performance.now();
  if (batched) {
    for await (const batch of readCsvBatches(csvChunks(shape, rows), shape.options)) {
      count += batch.length;
      sampleHeap();
      for (const row of batch) if (isRowError(row)) errors++;
    }
  } else {
    for await (const row of readCsv(csvChunks(shape, rows), shape.options)) {
      count++;
      if (count % 2_000 === 0) sampleHeap();
      if (isRowError(row)) errors++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    label: `${shape.name}, ${batched ? "readCsvBatches" : "readCsv (a row at a time)"}`,
    rows: count,
    errors,
    seconds,
  };
}

function timeTextAlone(shape: Shape): number {
  const started = performance.now();
  let characters = 0;
  for (const chunk of csvChunks(shape, rows)) characters += chunk.length;
  if (characters === 0) throw new Error("no text generated");
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const before = process.memoryUsage().rss;
  const results: Result[] = [];
  for (const shape of shapes) {
    for (const batched of [true, false]) results.push(await timeReader(shape, batched));
  }
  const peak = process.resourceUsage().maxRSS;
  const first = shapes[0];
  if (!first) throw new Error("no file shapes to benchmark");
  const textSeconds = timeTextAlone(first);

  console.log(`\nCSV reader: ${format.format(rows)} generated rows, streamed 2,000 rows a chunk`);
  for (const result of results) {
    const bad = result.errors > 0 ? ` (${format.format(result.errors)} rows with errors!)` : "";
    console.log(
      `  ${result.label}: ${result.seconds.toFixed(2)} s, ${format.format(result.rows / result.seconds)} rows/s${bad}`,
    );
  }
  console.log("  (what stays live is small: NODE_OPTIONS=--max-old-space-size=40 runs it to the end)");
  console.log(`  (rendering the first shape's text alone takes ${textSeconds.toFixed(2)} s of that)`);
  console.log(
    `  RSS before ${megabytes(before / 1024)}, peak ${megabytes(peak)}; heap in use at most ${megabytes(peakHeap / 1024)}, garbage not yet collected included`,
  );

  if (!databaseUrl) {
    console.log("\nSet DATABASE_URL (a superuser URL) to measure the data generator beside it and print the ratio.");
    return;
  }
  const generator = await measureGenerator(databaseUrl);
  console.log(
    `\nData generator (${generator.shape}): ${format.format(generator.points)} points, ${format.format(generator.pointsPerSecond)} points/s`,
  );
  for (const result of results) {
    const ratio = result.rows / result.seconds / generator.pointsPerSecond;
    console.log(`  ${result.label}: ${ratio.toFixed(2)}x the generator's rate (target >= 0.5x)`);
  }
}

main().catch((error: unknown) => {
  console.error("bench:csv failed:", error);
  process.exit(1);
});
