import { describe, expect, test } from "vitest";
import { dateCandidates, dateReader } from "../../src/csv/dates.ts";
import { readCsvText } from "../../src/csv/read.ts";
import { isRowError } from "../../src/csv/settings.ts";
import { zoneClock } from "../../src/csv/time-zone.ts";

// Dates without an offset are wall-clock times in a zone. At a daylight-saving change the rule is
// Temporal's "compatible": a time in the spring gap moves forward by the gap, a time in the autumn
// overlap takes the earlier offset.

const iso = (format: Parameters<typeof dateReader>[0], timeZone: string, cell: string) =>
  new Date(dateReader(format, timeZone)(cell)).toISOString();

describe("dates in a time zone, across daylight-saving changes", () => {
  test("Europe/Berlin: spring gap shifts forward, autumn overlap takes the earlier offset (CEST)", () => {
    const berlin = (cell: string) => iso("YYYY-MM-DD", "Europe/Berlin", cell);
    expect(berlin("2026-03-29 01:30")).toBe("2026-03-29T00:30:00.000Z"); // CET
    expect(berlin("2026-03-29 02:30")).toBe("2026-03-29T01:30:00.000Z"); // does not exist: 03:30 CEST
    expect(berlin("2026-03-29 03:30")).toBe("2026-03-29T01:30:00.000Z"); // CEST
    expect(berlin("2026-10-25 01:30")).toBe("2026-10-24T23:30:00.000Z"); // CEST
    expect(berlin("2026-10-25 02:30")).toBe("2026-10-25T00:30:00.000Z"); // twice: the first, CEST
    expect(berlin("2026-10-25 03:30")).toBe("2026-10-25T02:30:00.000Z"); // CET
    expect(berlin("2026-07-01")).toBe("2026-06-30T22:00:00.000Z");
    expect(berlin("2026-01-01")).toBe("2025-12-31T23:00:00.000Z");
  });

  test("America/New_York: the same rule, with US dates and AM/PM", () => {
    const newYork = (cell: string) => iso("MM/DD/YYYY", "America/New_York", cell);
    expect(newYork("03/08/2026 1:30 AM")).toBe("2026-03-08T06:30:00.000Z"); // EST
    expect(newYork("03/08/2026 2:30 AM")).toBe("2026-03-08T07:30:00.000Z"); // does not exist: 03:30 EDT
    expect(newYork("03/08/2026 3:30 AM")).toBe("2026-03-08T07:30:00.000Z"); // EDT
    expect(newYork("11/01/2026 1:30 AM")).toBe("2026-11-01T05:30:00.000Z"); // twice: the first, EDT
    expect(newYork("11/01/2026 2:30 AM")).toBe("2026-11-01T07:30:00.000Z"); // EST
    expect(newYork("11/01/2026 12:00 PM")).toBe("2026-11-01T17:00:00.000Z");
    expect(newYork("11/01/2026 12:00 AM")).toBe("2026-11-01T04:00:00.000Z");
  });

  test("hour after hour through both Berlin changes, as a whole file read in the zone", () => {
    const hours = ["2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00", "2026-10-25 03:00", "2026-10-25 04:00"];
    const rows = [
      ...readCsvText(`time,v\n${hours.map((hour, i) => `${hour},${i}`).join("\n")}\n`, { timeZone: "Europe/Berlin" }),
    ];
    expect(rows.map((row) => (isRowError(row) ? row.errors : row.timestamp.toISOString()))).toEqual([
      "2026-10-24T22:00:00.000Z",
      "2026-10-24T23:00:00.000Z",
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T02:00:00.000Z",
      "2026-10-25T03:00:00.000Z",
    ]);
  });

  test("the day cache agrees with the zone on every hour of a year, outside the spring gap", () => {
    const clock = zoneClock("Europe/Berlin");
    const wall = new Intl.DateTimeFormat("sv-SE", {
      timeZone: "Europe/Berlin",
      dateStyle: "short",
      timeStyle: "medium",
    });
    const gap = [Date.UTC(2026, 2, 29, 2), Date.UTC(2026, 2, 29, 3)];
    const mismatches: string[] = [];
    for (let local = Date.UTC(2026, 0, 1); local < Date.UTC(2027, 0, 1); local += 3_600_000) {
      if (local >= (gap[0] ?? 0) && local < (gap[1] ?? 0)) continue;
      const expected = new Date(local).toISOString().slice(0, 19).replace("T", " ");
      const read = wall.format(clock.toInstant(local));
      if (read !== expected) mismatches.push(`${expected} read as ${read}`);
    }
    expect(mismatches).toEqual([]);
  });

  test("UTC is the default; an offset in the cell wins over the zone", () => {
    expect(iso("YYYY-MM-DD", "UTC", "2026-01-15T10:00")).toBe("2026-01-15T10:00:00.000Z");
    expect(iso("YYYY-MM-DD", "Europe/Berlin", "2026-01-15T10:00:00.250+05:30")).toBe("2026-01-15T04:30:00.250Z");
    expect(iso("YYYY-MM-DD", "Europe/Berlin", "2026-01-15 10:00 UTC")).toBe("2026-01-15T10:00:00.000Z");
  });

  test("impossible dates are not dates", () => {
    const read = dateReader("DD.MM.YYYY");
    expect(read("31.02.2026")).toBeNaN();
    expect(read("29.02.2026")).toBeNaN();
    expect(read("29.02.2028")).toBe(Date.UTC(2028, 1, 29));
    expect(read("01.01.2026 24:00")).toBeNaN();
    expect(read("01/01/2026")).toBeNaN(); // the format's separator only
  });

  test("candidates of a cell: both orders while day and month are at most 12", () => {
    expect(dateCandidates("01/02/2026")).toEqual(["DD/MM/YYYY", "MM/DD/YYYY"]);
    expect(dateCandidates("13/02/2026")).toEqual(["DD/MM/YYYY"]);
    expect(dateCandidates("02/13/2026")).toEqual(["MM/DD/YYYY"]);
    expect(dateCandidates("2026-02-13T10:00:00Z")).toEqual(["YYYY-MM-DD"]);
    expect(dateCandidates("1767225600")).toEqual(["epoch seconds"]);
    expect(dateCandidates("1767225600000")).toEqual(["epoch milliseconds"]);
    expect(dateCandidates("2026")).toEqual(["YYYY"]);
    expect(dateCandidates("12.5")).toEqual([]);
  });
});
