import { providers } from "@northstar/core/provider-schemas";
import { urlOrigin } from "@northstar/core/providers";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Connector, FetchRequest } from "../src/providers/connector.ts";
import { nextLink } from "../src/providers/github.ts";
import { parseRetryAfter } from "../src/providers/http.ts";
import { createConnectors } from "../src/providers/index.ts";
import { createNetwork, isPublicAddress } from "../src/providers/network.ts";
import { SyncError } from "../src/sync/errors.ts";
import { json, type ProviderServer, startProviderServer } from "./support.ts";

// Each connector against a local server on 127.0.0.1 that implements the part of the provider's
// API it uses: pagination, rate limits, 401, 5xx, malformed bodies, slow responses.

const now = new Date("2026-11-25T15:30:00.000Z");
const since = new Date("2026-11-22T10:00:00.000Z");
const token = "ghp_testtoken000000000000000000000000";
const apiKey = "sk_test_abcdefghijklmnop";

let github: ProviderServer;
let stripe: ProviderServer;
let plain: ProviderServer;
let connectors: ReturnType<typeof createConnectors>;
// Switches the servers' behaviour per test.
let mode = "ok";
// Requests to /hang, held open until the server closes.
const hanging: unknown[] = [];

const iso = (value: string) => new Date(value).toISOString();

beforeAll(async () => {
  github = await startProviderServer((request, response, url) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      json(response, 401, { message: "Bad credentials" });
      return;
    }
    if (mode === "rate-limited") {
      json(
        response,
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 120) },
      );
      return;
    }
    if (mode === "secondary") {
      json(response, 403, { message: "secondary rate limit" }, { "retry-after": "42" });
      return;
    }
    if (mode === "5xx") {
      json(response, 502, { message: "bad gateway" });
      return;
    }
    if (url.pathname === "/repos/acme/rocket") {
      json(
        response,
        mode === "malformed" ? 200 : 200,
        mode === "malformed" ? { stars: "lots" } : { stargazers_count: 1234, open_issues_count: 56 },
      );
      return;
    }
    if (url.pathname === "/repos/acme/rocket/pulls") {
      const page = Number(url.searchParams.get("page") ?? "1");
      const pages: Array<Array<{ merged_at: string | null; updated_at: string }>> = [
        [
          { merged_at: "2026-11-25T09:00:00Z", updated_at: "2026-11-25T09:00:00Z" },
          { merged_at: "2026-11-25T08:00:00Z", updated_at: "2026-11-25T08:00:00Z" },
          { merged_at: null, updated_at: "2026-11-24T12:00:00Z" },
        ],
        [
          { merged_at: "2026-11-23T12:00:00Z", updated_at: "2026-11-23T12:00:00Z" },
          { merged_at: "2026-11-22T01:00:00Z", updated_at: "2026-11-22T01:00:00Z" },
        ],
        // Updated before the window's first day: the connector stops here.
        [{ merged_at: "2026-11-10T12:00:00Z", updated_at: "2026-11-10T12:00:00Z" }],
        [{ merged_at: "2026-11-01T12:00:00Z", updated_at: "2026-11-01T12:00:00Z" }],
      ];
      const base = `http://127.0.0.1:${String(request.socket.localPort)}${url.pathname}?state=closed&per_page=100`;
      const link =
        page < pages.length ? `<${base}&page=${page + 1}>; rel="next", <${base}&page=${pages.length}>; rel="last"` : "";
      json(response, 200, pages[page - 1] ?? [], link ? { link } : {});
      return;
    }
    json(response, 404, { message: "Not Found" });
  });

  stripe = await startProviderServer((request, response, url) => {
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      json(response, 401, { error: { message: `Invalid API Key provided: ${String(request.headers.authorization)}` } });
      return;
    }
    if (mode === "5xx") {
      json(response, 500, { error: { message: "internal" } });
      return;
    }
    if (mode === "malformed") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end("{not json");
    }
    const day = (date: string) => Math.floor(Date.parse(date) / 1000);
    const lists: Record<string, Array<Record<string, unknown>>> = {
      "/v1/customers": [
        { id: "cus_1", created: day("2026-11-22T03:00:00Z") },
        { id: "cus_2", created: day("2026-11-24T03:00:00Z") },
        { id: "cus_3", created: day("2026-11-24T05:00:00Z") },
      ],
      "/v1/charges": [
        {
          id: "ch_1",
          created: day("2026-11-23T10:00:00Z"),
          amount: 5000,
          amount_refunded: 1000,
          currency: "usd",
          status: "succeeded",
        },
        {
          id: "ch_2",
          created: day("2026-11-23T11:00:00Z"),
          amount: 2500,
          amount_refunded: 0,
          currency: "usd",
          status: "succeeded",
        },
        {
          id: "ch_3",
          created: day("2026-11-23T12:00:00Z"),
          amount: 9900,
          amount_refunded: 0,
          currency: "usd",
          status: "failed",
        },
        {
          id: "ch_4",
          created: day("2026-11-25T12:00:00Z"),
          amount: 1000,
          amount_refunded: 0,
          currency: "eur",
          status: "succeeded",
        },
      ],
      "/v1/subscriptions": [
        {
          id: "sub_1",
          items: {
            data: [
              {
                quantity: 2,
                price: { currency: "usd", unit_amount: 1000, recurring: { interval: "month", interval_count: 1 } },
              },
            ],
          },
        },
        {
          id: "sub_2",
          items: {
            data: [
              {
                quantity: 1,
                price: { currency: "usd", unit_amount: 12000, recurring: { interval: "year", interval_count: 1 } },
              },
            ],
          },
        },
      ],
    };
    const all = lists[url.pathname];
    if (!all) {
      json(response, 404, { error: { message: "Unrecognized request URL" } });
      return;
    }
    const gte = Number(url.searchParams.get("created[gte]") ?? "0");
    const filtered = all.filter((item) => typeof item.created !== "number" || item.created >= gte);
    const after = url.searchParams.get("starting_after");
    const start = after ? filtered.findIndex((item) => item.id === after) + 1 : 0;
    // Two per page, whatever the limit asked: pagination is exercised.
    const page = filtered.slice(start, start + 2);
    json(response, 200, { object: "list", data: page, has_more: start + 2 < filtered.length });
  });

  plain = await startProviderServer((request, response, url) => {
    if (url.pathname === "/number") {
      json(response, 200, { data: { total: 42.5 } });
      return;
    }
    if (url.pathname === "/auth") {
      if (request.headers["x-token"] === "letmein")
        json(response, 200, { v: [{ timestamp: "2026-11-24T00:00:00Z", value: 1 }] });
      else json(response, 401, {});
      return;
    }
    if (url.pathname === "/garbage") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end("<html>oops</html>");
    }
    if (url.pathname === "/bad-item") {
      json(response, 200, { v: [{ timestamp: "yesterday-ish", value: "x" }] });
      return;
    }
    if (url.pathname === "/hang") {
      // Never answers: only the client's timeout or abort ends the request (no race with a timer here).
      hanging.push(response);
      return;
    }
    if (url.pathname === "/huge") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end(`{"a":"${"x".repeat(40 * 1024 * 1024)}"}`);
    }
    if (url.pathname === "/unavailable") {
      json(response, 503, {}, { "retry-after": "17" });
      return;
    }
    if (url.pathname === "/data.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      return void response.end(
        '\uFEFFday,"amount, net",note\r\n2026-11-21,1,old\r\n2026-11-23,"1.5",x\r\n2026-11-24,2.5,"say ""hi""\nthere"\r\n',
      );
    }
    if (url.pathname === "/bad.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      return void response.end("timestamp,value\n2026-11-23,1\n2026-11-24,abc\n");
    }
    if (url.pathname === "/unterminated.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      return void response.end('timestamp,value\n2026-11-23,1\n2026-11-24,"2\n');
    }
    if (url.pathname === "/europe.csv") {
      // What a spreadsheet in much of Europe saves: semicolons, decimal commas, grouped thousands.
      response.writeHead(200, { "content-type": "text/csv" });
      return void response.end("Datum;Umsatz;Kosten\n22.11.2026;1.234,5;10\n23.11.2026;2.000,25;11\n24.11.2026;;12\n");
    }
    if (url.pathname === "/thousands.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      return void response.end('date,revenue,note\n2026-11-23,"1,234.5",a\n2026-11-24,"12,000",b\n');
    }
    if (url.pathname === "/ambiguous.csv") {
      // 01/11 to 12/11: November 1 to 12, or January 11 to December 11? No row tells.
      response.writeHead(200, { "content-type": "text/csv" });
      const days = Array.from({ length: 12 }, (_, i) => `${String(i + 1).padStart(2, "0")}/11/2026,${i}`);
      return void response.end(`day,value\n${days.join("\n")}\n`);
    }
    if (url.pathname === "/big.csv") {
      // 40 MB in 80,000 rows, past the 32 MB bound: refused while streaming (no content-length declared).
      response.writeHead(200, { "content-type": "text/csv" });
      const block = `2026-11-24,1,${"x".repeat(500)}\n`.repeat(2_000);
      response.write("timestamp,value,note\n");
      for (let sent = 0; sent < 40; sent++) response.write(block);
      return void response.end();
    }
    json(response, 404, {});
  });
  connectors = createConnectors({ githubApiUrl: github.url, stripeApiUrl: stripe.url });
});

afterAll(async () => {
  await Promise.all([github.close(), stripe.close(), plain.close()]);
});

// The provider servers here listen on 127.0.0.1: a network that allows private addresses.
const localNetwork = createNetwork({ allowPrivate: true });

function connector(id: "http-json" | "csv" | "github" | "stripe"): Connector {
  const found = connectors.get(id);
  if (!found) throw new Error(`no connector ${id}`);
  return found;
}

function request(
  credentials: Record<string, string>,
  config: Record<string, string>,
  overrides: Partial<FetchRequest> = {},
): FetchRequest {
  return {
    credentials,
    config,
    // As the sync opens them: sealed for the origin of the URL the config names (HTTP JSON).
    credentialsOrigin: config.url === undefined ? null : urlOrigin(config.url),
    since,
    now,
    signal: new AbortController().signal,
    // Not the subject of these tests: far above what a loaded machine takes to answer on loopback.
    timeoutMs: 60_000,
    network: localNetwork,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof SyncError)) throw new Error(`expected a SyncError, got ${String(error)}`);
  return error;
}

const byMetric = (points: Awaited<ReturnType<Connector["fetch"]>>, metric: string) =>
  points.filter((point) => point.metric === metric).map((point) => [point.timestamp.toISOString(), point.value]);

test("every provider of the catalogue has a connector, and every metric key is one the database accepts", () => {
  for (const id of Object.keys(providers)) expect(connectors.get(id as keyof typeof providers), id).toBeDefined();
  for (const provider of Object.values(providers))
    for (const metric of provider.metrics) expect(metric.key).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
});

describe("GitHub", () => {
  test("stars and open issues now, merged pull requests per day across pages of the Link header", async () => {
    mode = "ok";
    const points = await connector("github").fetch(request({ token }, { owner: "acme", repo: "rocket" }));
    expect(byMetric(points, "stars")).toEqual([[iso("2026-11-25T15:00:00Z"), 1234]]);
    expect(byMetric(points, "open_issues")).toEqual([[iso("2026-11-25T15:00:00Z"), 56]]);
    expect(byMetric(points, "merged_prs_per_day")).toEqual([
      [iso("2026-11-22"), 1],
      [iso("2026-11-23"), 1],
      [iso("2026-11-24"), 0],
      [iso("2026-11-25"), 2],
    ]);
    const pulls = github.requests.filter((entry) => entry.path.startsWith("/repos/acme/rocket/pulls"));
    // Pages 1-3 read; page 3 reaches before the window, so page 4 is never asked for.
    expect(pulls).toHaveLength(3);
    expect(pulls[0]?.headers["x-github-api-version"]).toBe("2022-11-28");
  });

  test("a Link to another origin is not followed (the token would go with it)", () => {
    expect(nextLink('<https://evil.example/x?page=2>; rel="next"', "https://api.github.com")).toBeNull();
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next"', "https://api.github.com")).toBe(
      "https://api.github.com/x?page=2",
    );
  });

  test("401 is an authentication failure, a used-up rate limit waits for its reset, a secondary limit for Retry-After", async () => {
    mode = "ok";
    expect(
      (await failure(connector("github").fetch(request({ token: "ghp_wrong" }, { owner: "acme", repo: "rocket" }))))
        .code,
    ).toBe("provider_auth");
    mode = "rate-limited";
    const limited = await failure(connector("github").fetch(request({ token }, { owner: "acme", repo: "rocket" })));
    expect(limited.code).toBe("provider_rate_limited");
    expect(limited.retryAfterMs).toBeGreaterThan(100_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(120_000);
    mode = "secondary";
    const secondary = await failure(connector("github").fetch(request({ token }, { owner: "acme", repo: "rocket" })));
    expect([secondary.code, secondary.retryAfterMs]).toEqual(["provider_rate_limited", 42_000]);
    mode = "5xx";
    expect((await failure(connector("github").fetch(request({ token }, { owner: "acme", repo: "rocket" })))).code).toBe(
      "provider_unavailable",
    );
    mode = "malformed";
    expect((await failure(connector("github").fetch(request({ token }, { owner: "acme", repo: "rocket" })))).code).toBe(
      "provider_bad_response",
    );
    mode = "ok";
    expect(
      (await failure(connector("github").fetch(request({ token }, { owner: "acme", repo: "missing" })))).code,
    ).toBe("provider_not_found");
  });
});

describe("Stripe", () => {
  test("new customers and revenue per day (paginated with starting_after), MRR from active subscriptions", async () => {
    mode = "ok";
    const points = await connector("stripe").fetch(request({ apiKey }, { currency: "usd" }));
    expect(byMetric(points, "new_customers")).toEqual([
      [iso("2026-11-22"), 1],
      [iso("2026-11-23"), 0],
      [iso("2026-11-24"), 2],
      [iso("2026-11-25"), 0],
    ]);
    // 50.00 - 10.00 refunded + 25.00; the failed charge and the EUR charge do not count.
    expect(byMetric(points, "revenue_per_day")).toEqual([
      [iso("2026-11-22"), 0],
      [iso("2026-11-23"), 65],
      [iso("2026-11-24"), 0],
      [iso("2026-11-25"), 0],
    ]);
    // 2 x 10.00 monthly + 120.00 yearly / 12.
    expect(byMetric(points, "mrr")).toEqual([[iso("2026-11-25T15:00:00Z"), 30]]);
    const charges = stripe.requests.filter((entry) => entry.path.startsWith("/v1/charges"));
    expect(charges.length).toBe(2);
    expect(charges[1]?.path).toContain("starting_after=ch_2");
    expect(charges[0]?.path).toContain(`created%5Bgte%5D=${Date.parse("2026-11-22T00:00:00Z") / 1000}`);
  });

  test("401, 5xx and malformed bodies become the right errors, and the key is in none of them", async () => {
    mode = "ok";
    const refused = await failure(
      connector("stripe").fetch(request({ apiKey: "sk_test_wrongwrongwrong" }, { currency: "usd" })),
    );
    expect(refused.code).toBe("provider_auth");
    expect(refused.message).not.toContain("sk_test");
    mode = "5xx";
    expect((await failure(connector("stripe").fetch(request({ apiKey }, { currency: "usd" })))).code).toBe(
      "provider_unavailable",
    );
    mode = "malformed";
    expect((await failure(connector("stripe").fetch(request({ apiKey }, { currency: "usd" })))).code).toBe(
      "provider_bad_response",
    );
    mode = "ok";
  });
});

describe("HTTP JSON", () => {
  test("a number at the path is one point at the current hour; an array is a series", async () => {
    const points = await connector("http-json").fetch(
      request({}, { url: `${plain.url}/number`, valuePath: "$.data.total" }),
    );
    expect(byMetric(points, "value")).toEqual([[iso("2026-11-25T15:00:00Z"), 42.5]]);
    const series = await connector("http-json").fetch(
      request({ headerName: "x-token", headerValue: "letmein" }, { url: `${plain.url}/auth`, valuePath: "$.v" }),
    );
    expect(byMetric(series, "value")).toEqual([[iso("2026-11-24"), 1]]);
  });

  test("wrong header, malformed body, bad items, nothing at the path, 503 with Retry-After, a closed port", async () => {
    const http = connector("http-json");
    expect(
      (
        await failure(
          http.fetch(
            request({ headerName: "x-token", headerValue: "nope" }, { url: `${plain.url}/auth`, valuePath: "$.v" }),
          ),
        )
      ).code,
    ).toBe("provider_auth");
    expect((await failure(http.fetch(request({}, { url: `${plain.url}/garbage`, valuePath: "$.v" })))).code).toBe(
      "provider_bad_response",
    );
    expect((await failure(http.fetch(request({}, { url: `${plain.url}/bad-item`, valuePath: "$.v" })))).code).toBe(
      "provider_bad_response",
    );
    expect(
      (await failure(http.fetch(request({}, { url: `${plain.url}/number`, valuePath: "$.data.missing" })))).code,
    ).toBe("provider_bad_response");
    const unavailable = await failure(http.fetch(request({}, { url: `${plain.url}/unavailable`, valuePath: "$.v" })));
    expect([unavailable.code, unavailable.retryAfterMs]).toEqual(["provider_unavailable", 17_000]);
    expect((await failure(http.fetch(request({}, { url: "http://127.0.0.1:9/closed", valuePath: "$.a" })))).code).toBe(
      "provider_unavailable",
    );
  });

  test("an answer that never comes ends at the run's timeout", async () => {
    // The server holds the request open, so only the timeout can end it.
    const answer = await failure(
      connector("http-json").fetch(
        request({}, { url: `${plain.url}/hang`, valuePath: "$.data.total" }, { timeoutMs: 300 }),
      ),
    );
    expect(answer.code).toBe("timeout");
  });

  test("an answer larger than the limit is refused, not read whole", async () => {
    // 40 MiB against the 32 MiB limit; the timeout is far above what reading it takes on a loaded machine.
    const answer = await failure(
      connector("http-json").fetch(request({}, { url: `${plain.url}/huge`, valuePath: "$.a" }, { timeoutMs: 120_000 })),
    );
    expect(answer.code).toBe("provider_bad_response");
  });

  test("the job's own abort (shutdown) propagates as an abort, not as the provider's fault", async () => {
    const controller = new AbortController();
    const held = hanging.length;
    const fetching = connector("http-json").fetch(
      request(
        {},
        { url: `${plain.url}/hang`, valuePath: "$.data.total" },
        { signal: controller.signal, timeoutMs: 600_000 },
      ),
    );
    // Aborted once the provider holds the request: the abort, not the timeout, ends it.
    await vi.waitUntil(() => hanging.length > held, { timeout: 60_000, interval: 20 });
    controller.abort(new DOMException("stopping", "AbortError"));
    await expect(fetching).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("CSV", () => {
  test("RFC 4180 quoting, a BOM, CRLF, named columns; rows before the window are left out", async () => {
    const points = await connector("csv").fetch(
      request({ url: `${plain.url}/data.csv` }, { timestampColumn: "day", valueColumn: "amount, net" }),
    );
    expect(byMetric(points, "value")).toEqual([
      [iso("2026-11-23"), 1.5],
      [iso("2026-11-24"), 2.5],
    ]);
  });

  test("a semicolon file with decimal commas and grouped thousands, dates read in the configured time zone", async () => {
    const points = await connector("csv").fetch(
      request(
        { url: `${plain.url}/europe.csv` },
        { timestampColumn: "Datum", valueColumn: "Umsatz", timeZone: "Europe/Berlin" },
        { since: new Date("2026-11-01T00:00:00Z") },
      ),
    );
    // Midnight in Berlin (UTC+1 in November) is 23:00 UTC the day before; the empty cell is a gap.
    expect(byMetric(points, "value")).toEqual([
      [iso("2026-11-21T23:00:00Z"), 1234.5],
      [iso("2026-11-22T23:00:00Z"), 2000.25],
    ]);
  });

  test("a quoted value with a thousands separator is one number", async () => {
    const points = await connector("csv").fetch(
      request({ url: `${plain.url}/thousands.csv` }, { timestampColumn: "date", valueColumn: "revenue" }),
    );
    expect(byMetric(points, "value")).toEqual([
      [iso("2026-11-23"), 1234.5],
      [iso("2026-11-24"), 12000],
    ]);
  });

  test("an ambiguous date column is refused with a request for the date format, never guessed; with it, read", async () => {
    const refused = await failure(
      connector("csv").fetch(request({ url: `${plain.url}/ambiguous.csv` }, { timestampColumn: "day" })),
    );
    expect(refused.code).toBe("config_invalid");
    expect(refused.disables).toBe(true);
    expect(refused.message).toMatch(/DD\/MM\/YYYY or MM\/DD\/YYYY.*set the integration's date format/);
    const points = await connector("csv").fetch(
      request(
        { url: `${plain.url}/ambiguous.csv` },
        { timestampColumn: "day", dateFormat: "DD/MM/YYYY" },
        { since: new Date("2026-11-11T00:00:00Z") },
      ),
    );
    expect(byMetric(points, "value")).toEqual([
      [iso("2026-11-11"), 10],
      [iso("2026-11-12"), 11],
    ]);
  });

  test("a row without a number, an unterminated quote: the line is named; a missing column is a config error", async () => {
    const notNumber = await failure(connector("csv").fetch(request({ url: `${plain.url}/bad.csv` }, {})));
    expect(notNumber.code).toBe("provider_bad_response");
    expect(notNumber.message).toBe('CSV line 3, column "value", has a value that is not a number.');
    const unterminated = await failure(connector("csv").fetch(request({ url: `${plain.url}/unterminated.csv` }, {})));
    expect(unterminated.code).toBe("provider_bad_response");
    expect(unterminated.message).toMatch(/^CSV line 3 has a quoted value that is not closed properly/);
    const missing = await failure(
      connector("csv").fetch(request({ url: `${plain.url}/data.csv` }, { timestampColumn: "when" })),
    );
    expect(missing.code).toBe("config_invalid");
    expect(missing.message).toMatch(/no column named "when"/);
  });

  test("a body past the size bound is refused while it streams", async () => {
    const refused = await failure(connector("csv").fetch(request({ url: `${plain.url}/big.csv` }, {})));
    expect(refused.code).toBe("provider_bad_response");
    expect(refused.message).toMatch(/larger than \d+ bytes/);
  });
});

test("Retry-After: seconds or an HTTP date", () => {
  expect(parseRetryAfter("120")).toBe(120_000);
  expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(25_000);
  expect(parseRetryAfter("soon")).toBeNull();
  expect(parseRetryAfter(null)).toBeNull();
});

describe("the network", () => {
  test("public addresses only, unless told otherwise: loopback, private, link-local (cloud metadata) and mapped addresses are refused", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "not an address",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
      expect(isPublicAddress(address), address).toBe(true);
  });

  test("by default an integration cannot reach a local server, by address or by a name that resolves to it", async () => {
    const publicOnly = createNetwork({ allowPrivate: false });
    const port = new URL(plain.url).port;
    const asked = plain.requests.length;
    for (const url of [`${plain.url}/number`, `http://localhost:${port}/number`, `http://[::1]:${port}/number`]) {
      const error = await failure(
        connector("http-json").fetch(request({}, { url, valuePath: "$.value" }, { network: publicOnly })),
      );
      expect(error.code, url).toBe("config_invalid");
      expect(error.message).toContain("private or local network");
    }
    expect(plain.requests.length).toBe(asked);
  });

  test("a redirect to another origin goes without the request's headers (a custom auth header included); the same origin keeps them", async () => {
    const target = await startProviderServer((_request, response) => {
      json(response, 200, { value: 7 });
    });
    const redirecting = await startProviderServer((_request, response, url) => {
      if (url.pathname === "/elsewhere")
        response.writeHead(302, { location: `${target.url.replace("127.0.0.1", "localhost")}/value` }).end();
      else if (url.pathname === "/here") response.writeHead(307, { location: "/value" }).end();
      else json(response, 200, { value: 8 });
    });
    try {
      const credentials = { headerName: "X-Api-Key", headerValue: "SECRET-123" };
      const across = await connector("http-json").fetch(
        request(credentials, { url: `${redirecting.url}/elsewhere`, valuePath: "$.value" }),
      );
      expect(across.map((point) => point.value)).toEqual([7]);
      expect(target.requests[0]?.headers["x-api-key"]).toBeUndefined();
      const within = await connector("http-json").fetch(
        request(credentials, { url: `${redirecting.url}/here`, valuePath: "$.value" }),
      );
      expect(within.map((point) => point.value)).toEqual([8]);
      expect(redirecting.requests.at(-1)?.headers["x-api-key"]).toBe("SECRET-123");
    } finally {
      await Promise.all([target.close(), redirecting.close()]);
    }
  });

  test("credentials go to the origin they were sealed for only: a URL elsewhere is refused unsent, and a redirect chain through another origin carries no header", async () => {
    const other = await startProviderServer((_request, response, url) => {
      if (url.pathname === "/hop") response.writeHead(302, { location: "/final" }).end();
      else json(response, 200, { value: 9 });
    });
    const sealedFor = await startProviderServer((_request, response) => {
      response.writeHead(307, { location: `${other.url}/hop` }).end();
    });
    try {
      const credentials = { headerName: "X-Api-Key", headerValue: "SEALED-FOR-A-123" };
      // The sync opened the credentials for sealedFor's origin; the URL names another.
      const refused = await failure(
        connector("http-json").fetch(
          request(
            credentials,
            { url: `${other.url}/steal`, valuePath: "$.value" },
            { credentialsOrigin: urlOrigin(sealedFor.url) },
          ),
        ),
      );
      expect(refused.code).toBe("credentials_unreadable");
      expect(refused.message).toMatch(/not the one its credentials were entered for/);
      expect(other.requests).toEqual([]);
      // A -> B (307) -> B (302): the header reaches A only.
      const points = await connector("http-json").fetch(
        request(credentials, { url: `${sealedFor.url}/start`, valuePath: "$.value" }),
      );
      expect(points.map((point) => point.value)).toEqual([9]);
      expect(sealedFor.requests.map((seen) => seen.headers["x-api-key"])).toEqual(["SEALED-FOR-A-123"]);
      expect(other.requests.map((seen) => [seen.path, seen.headers["x-api-key"]])).toEqual([
        ["/hop", undefined],
        ["/final", undefined],
      ]);
    } finally {
      await Promise.all([other.close(), sealedFor.close()]);
    }
  });
});
