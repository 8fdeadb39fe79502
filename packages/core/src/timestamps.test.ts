import { describe, expect, test } from "vitest";
import { pointInstant, TimestampError } from "./timestamps.ts";

describe("pointInstant", () => {
  test("text without an offset is wall-clock time in the zone, across daylight-saving changes", () => {
    expect(pointInstant("2026-03-29T10:00", "Europe/Berlin")).toEqual(new Date("2026-03-29T08:00:00Z"));
    expect(pointInstant("2026-03-28T10:00", "Europe/Berlin")).toEqual(new Date("2026-03-28T09:00:00Z"));
    expect(pointInstant("2026-03-29", "Europe/Berlin")).toEqual(new Date("2026-03-28T23:00:00Z"));
    // 02:30 does not exist that night: shifted forward by the gap, as the CSV import does.
    expect(pointInstant("2026-03-29T02:30", "Europe/Berlin")).toEqual(new Date("2026-03-29T01:30:00Z"));
    // 02:30 happens twice in October: the earlier one.
    expect(pointInstant("2026-10-25T02:30", "Europe/Berlin")).toEqual(new Date("2026-10-25T00:30:00Z"));
    expect(pointInstant("2026-03-29T10:00", "UTC")).toEqual(new Date("2026-03-29T10:00:00Z"));
  });

  test("an offset, a Date or epoch milliseconds name the instant whatever the zone", () => {
    expect(pointInstant("2026-03-29T10:00:00Z", "Europe/Berlin")).toEqual(new Date("2026-03-29T10:00:00Z"));
    expect(pointInstant("2026-03-29T10:00:00.250-05:00", "Europe/Berlin")).toEqual(
      new Date("2026-03-29T15:00:00.250Z"),
    );
    const instant = new Date("2026-03-29T10:00:00Z");
    expect(pointInstant(instant, "Asia/Tokyo")).toEqual(instant);
    expect(pointInstant(instant.getTime(), "Asia/Tokyo")).toEqual(instant);
  });

  test("anything else is refused with a message to act on", () => {
    expect(() => pointInstant("03/29/2026", "UTC")).toThrow(TimestampError);
    expect(() => pointInstant("03/29/2026", "UTC")).toThrow(/is not an ISO 8601 date such as 2026-03-29/);
    expect(() => pointInstant("2026-02-30", "UTC")).toThrow(TimestampError);
    expect(() => pointInstant(Number.NaN, "UTC")).toThrow(/must be a date/);
    expect(() => pointInstant(new Date("0000-06-01T00:00:00Z"), "UTC")).toThrow(/years 1 to 9999/);
    expect(() => pointInstant(8.64e15, "UTC")).toThrow(/years 1 to 9999/);
  });
});
