// Command-line numbers of the benchmarks (`pnpm bench`, `bench:scale`), checked once with a
// message that names the flag.

/** A flag's value as a whole number of at least 1. */
export function whole(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a whole number of at least 1, got ${String(text)}`);
  return value;
}

const suffixes: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9 };

/** A count written as `175200`, `200k`, `1.75M` or `100M` (a plain or k/M/G-suffixed number). */
export function count(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text.trim().replaceAll("_", ""));
  const value = match ? Math.round(Number(match[1]) * (suffixes[(match[2] ?? "").toLowerCase()] ?? Number.NaN)) : NaN;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name}: expected a count such as 175200, 200k or 1.75M, got "${text}"`);
  return value;
}
