import { Hono } from "hono";
import { type DemoPoint, type DemoSeriesId, demoPoints, demoSeries, isDemoSeriesId } from "./series.ts";

// The built-in demo source (`pnpm dev` only: WORKER_DEMO_SOURCE), served beside /metrics so that the
// seeded integrations sync for real on a first run without any outside network:
//   GET /demo/<series>.json                  {"series", "points": [{"timestamp", "value"}]} (HTTP JSON, path $.points)
//   GET /demo/<series>.csv                   timestamp,<series>,<series>_per_hour (CSV, comma, ISO dates)
//   GET /demo/<series>.csv?format=europe     Datum;<series>;Anteil: what a European spreadsheet exports
//                                            (semicolons, DD.MM.YYYY, thousands with ".", decimal comma)
// Series: mrr (hourly level), revenue, deploys, sessions (daily totals). Only computed numbers go out.

const iso = (date: Date) => date.toISOString().replace(".000Z", "Z");
const day = (date: Date) => date.toISOString().slice(0, 10);

function europeanDate(date: Date, withTime: boolean): string {
  const [year, month, dayOfMonth] = day(date).split("-");
  const time = withTime ? ` ${date.toISOString().slice(11, 16)}` : "";
  return `${dayOfMonth}.${month}.${year}${time}`;
}

function europeanNumber(value: number, decimals: number): string {
  return value.toLocaleString("de-DE", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function csv(id: DemoSeriesId, points: DemoPoint[], europe: boolean): string {
  const spec = demoSeries[id];
  const level = spec.kind === "level";
  // A second numeric column, so the connector has to pick its column by name.
  const share = (point: DemoPoint) => (level ? point.value / 730 : point.value / 24);
  if (europe) {
    const rows = points.map(
      (point) =>
        `${europeanDate(point.timestamp, level)};${europeanNumber(point.value, spec.decimals)};${europeanNumber(share(point), 2)}`,
    );
    return `Datum;${id};Anteil\r\n${rows.join("\r\n")}\r\n`;
  }
  const rows = points.map(
    (point) => `${level ? iso(point.timestamp) : day(point.timestamp)},${point.value},${share(point).toFixed(2)}`,
  );
  return `timestamp,${id},${id}_per_hour\n${rows.join("\n")}\n`;
}

/** The /demo routes; `now` is the clock the series are computed at (tests pass a fixed one). */
export function createDemoRoutes(now: () => Date = () => new Date()): Hono {
  const app = new Hono();
  app.get("/:file", (c) => {
    const match = /^([a-z]+)\.(json|csv)$/.exec(c.req.param("file"));
    const id = match?.[1];
    if (!match || id === undefined || !isDemoSeriesId(id)) return c.json({ error: "no such demo series" }, 404);
    const points = demoPoints(id, now());
    c.header("cache-control", "no-store");
    if (match[2] === "json") {
      return c.json({
        series: id,
        points: points.map((point) => ({ timestamp: iso(point.timestamp), value: point.value })),
      });
    }
    const europe = c.req.query("format") === "europe";
    return c.body(csv(id, points, europe), 200, { "content-type": "text/csv; charset=utf-8" });
  });
  return app;
}
