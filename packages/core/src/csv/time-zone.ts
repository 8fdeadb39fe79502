// Wall-clock times read in an IANA time zone, turned into instants with Intl alone (Node 24 and
// most browsers have no Temporal yet; a polyfill would weigh on the web client). The rule at a
// daylight-saving change is Temporal's "compatible" disambiguation:
// - a time in the spring gap (02:30 in Berlin on the last Sunday of March) does not exist: it is
//   shifted forward by the gap's length (03:30 CEST, 01:30Z);
// - a time in the autumn overlap (02:30 on the last Sunday of October happens twice) takes the
//   earlier offset (02:30 CEST, 00:30Z).

const day = 86_400_000;

export class TimeZoneError extends RangeError {
  override readonly name = "TimeZoneError";
}

/** Throws a TimeZoneError unless `timeZone` is an IANA zone name this runtime knows. */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new TimeZoneError(`"${timeZone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC`);
  }
}

/** Turns local wall-clock times (as `Date.UTC` of their fields) into instants in one time zone. */
export interface ZoneClock {
  readonly timeZone: string;
  toInstant(localMs: number): number;
}

const utcClock: ZoneClock = { timeZone: "UTC", toInstant: (localMs) => localMs };

export function zoneClock(timeZone: string): ZoneClock {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return utcClock;
  checkTimeZone(timeZone);
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });

  /** The zone's offset (local minus UTC, ms) at the instant `utc`. */
  const offsetAt = (utc: number): number => {
    let year = 0;
    let month = 1;
    let dayOfMonth = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of format.formatToParts(utc)) {
      const value = Number(part.value);
      if (part.type === "year") year = value;
      else if (part.type === "month") month = value;
      else if (part.type === "day") dayOfMonth = value;
      else if (part.type === "hour") hour = value;
      else if (part.type === "minute") minute = value;
      else if (part.type === "second") second = value;
    }
    const local = Date.UTC(year, month - 1, dayOfMonth, hour, minute, second);
    return local - Math.floor(utc / 1000) * 1000;
  };

  /** Exact: the offsets a day either side tell whether a change is near. */
  const resolve = (localMs: number): number => {
    const before = offsetAt(localMs - day);
    const after = offsetAt(localMs + day);
    if (before === after) return localMs - before;
    const early = localMs - before;
    const late = localMs - after;
    const earlyValid = offsetAt(early) === before;
    const lateValid = offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late); // overlap: the earlier offset
    if (lateValid && !earlyValid) return late;
    return early; // valid before the change, or in the gap: shifted forward by the gap
  };

  // Most local days are nowhere near a change: one offset, looked up once per day (Intl is slow),
  // from the offsets at UTC midnights two days before and three days after (each asked once).
  const midnightOffsets = new Map<number, number>();
  const offsetAtMidnight = (utcDay: number): number => {
    let offset = midnightOffsets.get(utcDay);
    if (offset === undefined) {
      offset = offsetAt(utcDay * day);
      if (midnightOffsets.size > 50_000) midnightOffsets.clear();
      midnightOffsets.set(utcDay, offset);
    }
    return offset;
  };
  const dayOffsets = new Map<number, number | null>();
  return {
    timeZone,
    toInstant(localMs) {
      const key = Math.floor(localMs / day);
      let offset = dayOffsets.get(key);
      if (offset === undefined) {
        const first = offsetAtMidnight(key - 2);
        offset = first === offsetAtMidnight(key + 3) ? first : null;
        if (dayOffsets.size > 50_000) dayOffsets.clear();
        dayOffsets.set(key, offset);
      }
      return offset === null ? resolve(localMs) : localMs - offset;
    },
  };
}
