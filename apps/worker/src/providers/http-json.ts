import { SyncError } from "../sync/errors.ts";
import { type Connector, type DataPoint, finiteNumber, parseTimestamp, snapshotTime } from "./connector.ts";
import { getJson } from "./http.ts";

// HTTP JSON: GET a URL (optionally with one auth header, sent only to the origin it was sealed
// for), follow a JSON path ($.a.b[0]) to either a number (one snapshot point per hour) or an array
// of {timestamp, value} (a series).

const provider = "The JSON endpoint";

/** The value at `$.a.b[0]`-style `path` (the catalogue's schema admits nothing else), or undefined. */
export function valueAtPath(document: unknown, path: string): unknown {
  let current: unknown = document;
  for (const [, key, index] of path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
    if (key !== undefined) {
      if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
      current = (current as Record<string, unknown>)[key];
    } else {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(index)];
    }
  }
  return current;
}

function seriesPoint(item: unknown, position: number): DataPoint {
  if (typeof item !== "object" || item === null) {
    throw new SyncError(
      "provider_bad_response",
      `${provider}'s array item ${position} is not an object with timestamp and value.`,
    );
  }
  const entry = item as Record<string, unknown>;
  const timestamp = parseTimestamp(entry.timestamp);
  const value = finiteNumber(entry.value);
  if (!timestamp || value === null) {
    throw new SyncError(
      "provider_bad_response",
      `${provider}'s array item ${position} needs a timestamp and a finite numeric value.`,
    );
  }
  return { metric: "value", timestamp, value };
}

export const httpJsonConnector: Connector = {
  id: "http-json",
  overlapSeconds: 0,
  async fetch({ credentials, credentialsOrigin, config, since, now, signal, timeoutMs, network }) {
    const url = config.url;
    const path = config.valuePath;
    if (!url || !path) throw new SyncError("config_invalid", "The integration needs a URL and a JSON path.");
    if (credentialsOrigin === null)
      throw new SyncError("credentials_unreadable", "The credentials are not bound to an address; enter them again.");
    const headers: Record<string, string> = { accept: "application/json" };
    if (credentials.headerName && credentials.headerValue) headers[credentials.headerName] = credentials.headerValue;
    const { body } = await getJson({ url, headers, credentialsOrigin }, { signal, timeoutMs, network }, provider);
    const found = valueAtPath(body, path);
    if (Array.isArray(found)) return found.map(seriesPoint).filter((point) => point.timestamp >= since);
    const value = finiteNumber(found);
    if (value === null)
      throw new SyncError("provider_bad_response", `Nothing numeric at ${path} in the JSON the endpoint returned.`);
    return [{ metric: "value", timestamp: snapshotTime(now), value }];
  },
};
