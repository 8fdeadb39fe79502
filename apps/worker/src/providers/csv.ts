import { SyncError } from "../sync/errors.ts";
import { type Connector, type DataPoint, finiteNumber, parseTimestamp } from "./connector.ts";
import { httpGet, statusError } from "./http.ts";

// CSV: GET a URL (which may carry its own access token: it is a credential) answering a CSV with a
// header row, a timestamp column and a value column (names from the config). RFC 4180 quoting.

const provider = "The CSV source";

/** Rows of RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index++;
        } else quoted = false;
      } else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (quoted) throw new SyncError("provider_bad_response", `${provider} has an unterminated quoted field.`);
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((cells) => !(cells.length === 1 && cells[0]?.trim() === ""));
}

export const csvConnector: Connector = {
  id: "csv",
  overlapSeconds: 0,
  async fetch({ credentials, config, since, signal, timeoutMs, network }) {
    const url = credentials.url;
    if (!url) throw new SyncError("config_invalid", "The integration needs a CSV URL.");
    const timestampColumn = config.timestampColumn ?? "timestamp";
    const valueColumn = config.valueColumn ?? "value";
    const response = await httpGet(
      { url, headers: { accept: "text/csv, text/plain" } },
      { signal, timeoutMs, network },
      provider,
    );
    if (response.status < 200 || response.status >= 300) throw statusError(response.status, response.headers, provider);
    const [header, ...rows] = parseCsv(response.text.replace(/^\uFEFF/, ""));
    if (!header) throw new SyncError("provider_bad_response", `${provider} is empty (no header row).`);
    const names = header.map((name) => name.trim());
    const timestampAt = names.indexOf(timestampColumn);
    const valueAt = names.indexOf(valueColumn);
    if (timestampAt < 0 || valueAt < 0) {
      throw new SyncError(
        "config_invalid",
        `The CSV has no column named "${timestampAt < 0 ? timestampColumn : valueColumn}".`,
      );
    }
    const points: DataPoint[] = [];
    rows.forEach((cells, position) => {
      const timestamp = parseTimestamp(cells[timestampAt]);
      const value = finiteNumber(cells[valueAt]);
      if (!timestamp || value === null) {
        throw new SyncError("provider_bad_response", `CSV line ${position + 2} needs a timestamp and a finite number.`);
      }
      if (timestamp >= since) points.push({ metric: "value", timestamp, value });
    });
    return points;
  },
};
