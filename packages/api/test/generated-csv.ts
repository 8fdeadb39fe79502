// A long hourly CSV file, generated a chunk at a time (the text is never whole in memory), for the
// million-row import test and the import benchmark: `timestamp,value` with ISO timestamps.

export const generatedStart = Date.UTC(2020, 0, 1);
const hourMs = 3_600_000;
const rowsPerChunk = 2_000;

/** The value of row `index`: deterministic, so a test can check any point. */
export function generatedValue(index: number): number {
  return (index % 1_000) / 4;
}

export function* generatedCsv(rows: number): Generator<string> {
  yield "timestamp,value\n";
  // Rendering a date per row would cost more than reading it: days once, hours appended.
  let dayPrefix = "";
  let dayOf = -1;
  for (let first = 0; first < rows; first += rowsPerChunk) {
    let chunk = "";
    for (let index = first; index < Math.min(rows, first + rowsPerChunk); index++) {
      const day = Math.floor(index / 24);
      if (day !== dayOf) {
        dayOf = day;
        dayPrefix = new Date(generatedStart + day * 24 * hourMs).toISOString().slice(0, 11);
      }
      chunk += `${dayPrefix}${String(index % 24).padStart(2, "0")}:00:00Z,${generatedValue(index)}\n`;
    }
    yield chunk;
  }
}
