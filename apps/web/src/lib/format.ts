// Numbers, dates and durations as a person reads them, in the browser's locale.

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const currencyUnits = new Set(["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD"]);

/** A value with its unit: "104,000 USD" → "$104,000"; "2.6 %" → "2.6%". */
export function formatValue(value: number | null | undefined, unit = "", options: { compact?: boolean } = {}): string {
  if (value === null || value === undefined) return "—";
  const upper = unit.toUpperCase();
  if (currencyUnits.has(upper)) {
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency: upper,
      maximumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2,
      ...(options.compact ? { notation: "compact" } : {}),
    }).format(value);
  }
  const number = options.compact && Math.abs(value) >= 10_000 ? compact.format(value) : plain.format(value);
  if (unit === "%") return `${number}%`;
  return unit ? `${number} ${unit}` : number;
}

export function formatNumber(value: number): string {
  return plain.format(value);
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${percent.format(value)}%`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

const shortDateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** Without the year when it is this year: table cells on a phone. */
export function formatShortDateTime(date: Date): string {
  return date.getFullYear() === new Date().getFullYear()
    ? shortDateTimeFormat.format(date)
    : dateTimeFormat.format(date);
}

export function formatDate(date: Date | null | undefined): string {
  return date ? dateFormat.format(date) : "—";
}

// A calendar date (a goal's target date: a `date` column) travels as UTC midnight; shown and
// edited in UTC, it is the same day for everyone, wherever they are.
const calendarDateFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});

export function formatCalendarDate(date: Date): string {
  return calendarDateFormat.format(date);
}

/** A calendar date as an <input type="date"> value. */
export function toCalendarDateInput(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** An <input type="date"> value as the calendar date the API takes. */
export function fromCalendarDateInput(value: string): Date {
  return new Date(`${value}T00:00:00Z`);
}

export function formatDateTime(date: Date | null | undefined): string {
  return date ? dateTimeFormat.format(date) : "—";
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "3 hours ago", "in 2 days", "just now". */
export function formatRelative(date: Date | null | undefined, now = new Date()): string {
  if (!date) return "never";
  const diff = date.getTime() - now.getTime();
  for (const [unit, ms] of steps) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return "just now";
}

/** The value an <input type="datetime-local"> shows for a date, in local time. */
export function toLocalInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function toDateInput(date: Date): string {
  return toLocalInput(date).slice(0, 10);
}
