// Generated CSV text for the benchmark, a chunk at a time (never the whole file): an hourly series
// written the way exports write it, in two shapes.

export interface Shape {
  name: string;
  header: string;
  row: (index: number, hour: number) => string;
  options: { timeZone?: string };
}

const start = Date.UTC(2020, 0, 1);
const pad = (n: number) => String(n).padStart(2, "0");

// Rendering a timestamp per row would cost the benchmark more than reading it: days are rendered
// once, hours appended (the data generator shares its timestamps' text the same way).
const days = new Map<number, Date>();
function hourDate(hour: number): Date {
  const day = Math.floor(hour / 24);
  let date = days.get(day);
  if (!date) {
    date = new Date(start + day * 86_400_000);
    days.set(day, date);
  }
  return date;
}
const isoDays = new Map<number, string>();
function isoHour(hour: number): string {
  const day = Math.floor(hour / 24);
  let prefix = isoDays.get(day);
  if (prefix === undefined) {
    prefix = hourDate(hour).toISOString().slice(0, 11);
    isoDays.set(day, prefix);
  }
  return `${prefix}${pad(hour % 24)}:00:00.000Z`;
}

export const shapes: Shape[] = [
  {
    name: "ISO timestamps, one value (timestamp,value)",
    header: "timestamp,value",
    row: (i, hour) => `${isoHour(hour)},${((i * 7919) % 100_000) / 100}`,
    options: {},
  },
  {
    name: "European export: DD.MM.YYYY HH:mm in Europe/Berlin, semicolons, decimal commas, 3 values",
    header: "Zeit;Temperatur;Niederschlag;Umsatz",
    row: (i, hour) => {
      const date = hourDate(hour);
      const stamp = `${pad(date.getUTCDate())}.${pad(date.getUTCMonth() + 1)}.${date.getUTCFullYear()} ${pad(hour % 24)}:00`;
      const temperature = String((i % 400) / 10 - 10).replace(".", ",");
      return `${stamp};${temperature};${String((i % 97) / 10).replace(".", ",")};${i % 5}.${String(i % 1000).padStart(3, "0")},${pad(i % 100)}`;
    },
    options: { timeZone: "Europe/Berlin" },
  },
];

/** `rows` rows of `shape` (after its header), 2,000 rows a chunk. */
export function* csvChunks(shape: Shape, rows: number): Generator<string> {
  let chunk = `${shape.header}\n`;
  for (let i = 0; i < rows; i++) {
    chunk += `${shape.row(i, i)}\n`;
    if ((i + 1) % 2_000 === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}
