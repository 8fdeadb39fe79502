import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signedIn } from "./api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// The public REST API end to end, over real HTTP against the real host and database: keys made
// with tRPC as the web app makes them, a SUM KPI created, points pushed and a CSV imported through
// /api/v1, and the series read back and checked bucket by bucket against the test's own sums.
// Then who may do what: another workspace's key, a read key, a revoked key, a browser cookie.

const ctx = useHostDatabase();
let host: RunningHost;

interface Person {
  cookie: string;
  workspaceId: string;
}
let alice: Person;
let bob: Person;
let writeKey = "";
let writeKeyId = "";
let readKey = "";
let bobKey = "";

/** A tRPC call as the web app makes it (same-origin JSON); the result's data. */
async function trpc(who: Person, path: string, input: unknown, type: "query" | "mutation"): Promise<unknown> {
  const response =
    type === "mutation"
      ? await fetch(`${host.url}/trpc/${path}`, {
          method: "POST",
          headers: { cookie: who.cookie, "content-type": "application/json", origin: host.url },
          body: JSON.stringify({ json: input }),
        })
      : await fetch(`${host.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
          headers: { cookie: who.cookie },
        });
  const body = (await response.json()) as { result?: { data: { json: unknown } }; error?: unknown };
  if (!body.result) throw new Error(`${path} failed: ${response.status} ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

async function person(slug: string): Promise<Person> {
  const user = await signedIn(host, ctx().admin);
  const who = { cookie: user.cookie, workspaceId: "" };
  const workspace = (await trpc(who, "workspace.create", { name: slug, slug }, "mutation")) as { id: string };
  return { cookie: user.cookie, workspaceId: workspace.id };
}

async function newKey(who: Person, name: string, scopes: string[]): Promise<{ id: string; key: string }> {
  return (await trpc(who, "apiKey.create", { workspaceId: who.workspaceId, name, scopes }, "mutation")) as {
    id: string;
    key: string;
  };
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; issues?: { path: string }[] } } & Record<string, unknown>;
  headers: Headers;
}

async function api(
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${host.url}/api/v1${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": typeof body === "string" ? "text/csv" : "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Answer["body"], headers: response.headers };
}

beforeAll(async () => {
  host = await startHost({
    database: ctx().db,
    auth: { developmentSignIn: true },
    rateLimits: {
      queries: { burst: 10_000, perSecond: 1_000 },
      mutations: { burst: 10_000, perSecond: 1_000 },
      restApi: { burst: 10_000, perSecond: 1_000 },
    },
  });
  [alice, bob] = [await person("rest-alice"), await person("rest-bob")];
  const written = await newKey(alice, "Deploy script", ["read", "write"]);
  writeKey = written.key;
  writeKeyId = written.id;
  readKey = (await newKey(alice, "Dashboard reader", ["read"])).key;
  bobKey = (await newKey(bob, "Bob's script", ["write"])).key;
});

afterAll(async () => {
  await host.close();
});

// Hourly points over three days (pushed), then four more days from a CSV (imported).
const day = 86_400_000;
const start = Date.parse("2026-11-01T00:00:00Z");
const pushed = Array.from({ length: 72 }, (_, hour) => ({
  timestamp: new Date(start + hour * 3_600_000).toISOString(),
  value: (hour * 7) % 11,
}));
const importedDays = [3, 4, 5, 6].map((offset) => ({
  time: start + offset * day + 12 * 3_600_000,
  value: offset * 10,
}));
const csv = [
  "date;deploys;incidents",
  ...importedDays.map((point) => `${new Date(point.time).toISOString()};${point.value};1`),
].join("\n");

describe("the public REST API", () => {
  let kpiId = "";

  test("a key is shown once, then listed by its public id without its secret", async () => {
    expect(writeKey).toMatch(/^ns_live_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const keys = (await trpc(alice, "apiKey.list", { workspaceId: alice.workspaceId }, "query")) as Record<
      string,
      unknown
    >[];
    expect(keys.map((key) => key.name).sort()).toEqual(["Dashboard reader", "Deploy script"]);
    // The secret is everything after `ns_live_<public id>_` (it may hold "_" itself).
    const secret = writeKey.slice("ns_live_".length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(keys)).not.toContain(secret);
    expect(keys.find((key) => key.id === writeKeyId)?.publicId).toBe(writeKey.slice(8, 20));
  });

  test("creates a SUM KPI, pushes points idempotently, imports a CSV and reads the series back", async () => {
    const created = await api(writeKey, "POST", "/kpis", { name: "Deploys", aggregation: "SUM", unit: "deploys" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Deploys", aggregation: "SUM", unit: "deploys" });
    kpiId = String(created.body.id);

    const first = await api(writeKey, "POST", `/kpis/${kpiId}/points`, { points: pushed });
    expect(first).toMatchObject({ status: 200, body: { received: 72, written: 72 } });
    const again = await api(writeKey, "POST", `/kpis/${kpiId}/points`, { points: pushed });
    expect(again).toMatchObject({ status: 200, body: { received: 72, written: 0 } });

    const imported = await api(
      writeKey,
      "POST",
      `/kpis/${kpiId}/import?timestampColumn=date&valueColumn=deploys&delimiter=semicolon`,
      csv,
    );
    expect(imported).toMatchObject({ status: 200, body: { imported: 4, inserted: 4, updated: 0, unchanged: 0 } });
    // The same file again changes nothing.
    const reimported = await api(
      writeKey,
      "POST",
      `/kpis/${kpiId}/import?timestampColumn=date&valueColumn=deploys&delimiter=semicolon`,
      csv,
    );
    expect(reimported).toMatchObject({ status: 200, body: { imported: 4, inserted: 0, updated: 0, unchanged: 4 } });

    const from = new Date(start).toISOString();
    const to = new Date(start + 7 * day).toISOString();
    const series = await api(readKey, "GET", `/kpis/${kpiId}/series?from=${from}&to=${to}&buckets=7`);
    expect(series.status).toBe(200);
    const answer = series.body as unknown as {
      bucketWidthMs: number;
      buckets: {
        start: string;
        value: number | null;
        sum: number | null;
        count: number;
        min: number | null;
        max: number | null;
        last: number | null;
      }[];
    };
    expect(answer.bucketWidthMs).toBe(day);
    expect(answer.buckets).toHaveLength(7);
    const all = [
      ...pushed.map((point) => ({ time: Date.parse(point.timestamp), value: point.value })),
      ...importedDays,
    ];
    for (const bucket of answer.buckets) {
      const bucketStart = Date.parse(bucket.start);
      const inside = all.filter(
        (point) => point.time >= bucketStart && point.time < bucketStart + answer.bucketWidthMs,
      );
      const sum = inside.reduce((total, point) => total + point.value, 0);
      expect(bucket.count, bucket.start).toBe(inside.length);
      expect(inside.length, bucket.start).toBeGreaterThan(0);
      expect(bucket.sum, bucket.start).toBeCloseTo(sum, 9);
      expect(bucket.value, bucket.start).toBeCloseTo(sum, 9);
      expect(bucket.min).toBe(Math.min(...inside.map((point) => point.value)));
      expect(bucket.max).toBe(Math.max(...inside.map((point) => point.value)));
      expect(bucket.last).toBe(inside.at(-1)?.value);
    }

    const listed = await api(readKey, "GET", "/kpis");
    expect(listed.status).toBe(200);
    expect((listed.body.items as { id: string }[]).map((kpi) => kpi.id)).toEqual([kpiId]);
  });

  test("workspace A's KPI does not exist for workspace B's key", async () => {
    const series = `/kpis/${kpiId}/series?from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z`;
    const read = await api(bobKey, "GET", series);
    expect(read).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    const write = await api(bobKey, "POST", `/kpis/${kpiId}/points`, {
      points: [{ timestamp: "2026-11-02", value: 1 }],
    });
    expect(write).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    const csvWrite = await api(bobKey, "POST", `/kpis/${kpiId}/import?timestampColumn=date&valueColumn=deploys`, csv);
    expect(csvWrite.status).toBe(404);
    const list = await api(bobKey, "GET", "/kpis");
    expect(list).toMatchObject({ status: 200, body: { items: [] } });
    // Nothing of Bob's reached Alice's KPI.
    // Seven days in one bucket is a calendar week (from Monday), so the range spans two.
    const mine = await api(readKey, "GET", `${series}&buckets=1`);
    const counts = (mine.body as unknown as { buckets: { count: number }[] }).buckets.map((bucket) => bucket.count);
    expect(counts.reduce((total, count) => total + count, 0)).toBe(76);
  });

  test("a read key reads and cannot write", async () => {
    const create = await api(readKey, "POST", "/kpis", { name: "Sneaky" });
    expect(create).toMatchObject({ status: 403, body: { error: { code: "INSUFFICIENT_SCOPE" } } });
    const push = await api(readKey, "POST", `/kpis/${kpiId}/points`, {
      points: [{ timestamp: "2026-12-01", value: 1 }],
    });
    expect(push.status).toBe(403);
    const importing = await api(readKey, "POST", `/kpis/${kpiId}/import?timestampColumn=date&valueColumn=deploys`, csv);
    expect(importing.status).toBe(403);
  });

  test("refusals are JSON with stable codes: validation paths, 413, no key, a cookie instead of a key", async () => {
    const bad = await api(writeKey, "POST", `/kpis/${kpiId}/points`, {
      points: [{ timestamp: "2026-11-02T00:00:00Z", value: "lots" }],
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect(bad.body.error?.issues?.map((issue) => issue.path)).toEqual(["points.0.value"]);

    const tooMany = Array.from({ length: 10_001 }, (_, index) => ({
      timestamp: new Date(index * 1000).toISOString(),
      value: 1,
    }));
    const huge = await api(writeKey, "POST", `/kpis/${kpiId}/points`, { points: tooMany });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: "TOO_MANY_POINTS" } } });

    const unknownKpi = await api(writeKey, "POST", `/kpis/${crypto.randomUUID()}/points`, {
      points: [{ timestamp: "2026-11-02", value: 1 }],
    });
    expect(unknownKpi).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });

    const none = await api(null, "GET", "/kpis");
    expect(none).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    const withCookie = await api(null, "GET", "/kpis", undefined, { cookie: alice.cookie });
    expect(withCookie.status).toBe(401);
    const forged = await api(`${writeKey.slice(0, -4)}AAAA`, "GET", "/kpis");
    expect(forged.status).toBe(401);
  });

  test("a key's call from another origin is not a cross-site request: the same-origin check does not apply", async () => {
    const pushed = await api(
      writeKey,
      "POST",
      `/kpis/${kpiId}/points`,
      { points: [{ timestamp: "2026-12-24T00:00:00Z", value: 2 }] },
      { origin: "https://elsewhere.example" },
    );
    expect(pushed).toMatchObject({ status: 200, body: { received: 1, written: 1 } });
  });

  test("marks a key used, and a revoked key is refused from the next request on", async () => {
    const keys = (await trpc(alice, "apiKey.list", { workspaceId: alice.workspaceId }, "query")) as {
      id: string;
      lastUsedAt: unknown;
    }[];
    expect(keys.find((key) => key.id === writeKeyId)?.lastUsedAt).not.toBeNull();

    expect((await api(writeKey, "GET", "/kpis")).status).toBe(200);
    await trpc(alice, "apiKey.revoke", { workspaceId: alice.workspaceId, keyId: writeKeyId }, "mutation");
    const refused = await api(writeKey, "GET", "/kpis");
    expect(refused).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
  });

  test("the OpenAPI document parses and lists every route; the reference page renders it", async () => {
    const response = await fetch(`${host.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /kpis",
        "POST /kpis",
        "POST /kpis/{kpiId}/points",
        "POST /kpis/{kpiId}/import",
        "GET /kpis/{kpiId}/series",
      ].sort(),
    );
    const docs = await fetch(`${host.url}/api/v1/docs`);
    expect(docs.headers.get("content-type")).toContain("text/html");
    const html = await docs.text();
    for (const operation of operations) expect(html).toContain(`<code>${operation.split(" ")[1] ?? ""}</code>`);
  });
});

describe("the host's log", () => {
  test("no call above failed on the server's side (every refusal was a known one)", () => {
    expect(host.logs.lines.filter((line) => line.msg === "REST API call failed")).toEqual([]);
  });
});

describe("per-key rate limits", () => {
  test("past its budget a key gets 429 with Retry-After, and another key is not charged", async () => {
    const limited = await startHost({
      database: ctx().db,
      auth: { developmentSignIn: true },
      // Two calls, then one back per hour: the third is refused whatever the machine's speed.
      rateLimits: { restApi: { burst: 2, perSecond: 1 / 3600 } },
    });
    try {
      const call = (key: string) =>
        fetch(`${limited.url}/api/v1/kpis`, { headers: { authorization: `Bearer ${key}` } });
      expect((await call(readKey)).status).toBe(200);
      expect((await call(readKey)).status).toBe(200);
      const refused = await call(readKey);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
      expect((await call(bobKey)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
