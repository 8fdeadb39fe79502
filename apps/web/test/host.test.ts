import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDatabase } from "@northstar/db";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// The host over real HTTP: probes, request ids, security headers, body limit, the client.

const ctx = useHostDatabase();
let host: RunningHost;

beforeAll(async () => {
  host = await startHost({ database: ctx().db, bodyLimitBytes: 1024 * 1024 });
});

afterAll(async () => {
  await host.close();
});

describe("probes", () => {
  test("/healthz answers while the process is up", async () => {
    const response = await fetch(`${host.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("/readyz answers 200 when the database does, 503 when it cannot be reached", async () => {
    const ready = await fetch(`${host.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });

    const closed = createDatabase({ url: ctx().database.hostUrl, poolSize: 1 });
    await closed.close();
    const other = await startHost({ database: closed });
    try {
      const response = await fetch(`${other.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable", reason: "The database is not reachable." });
      // The process itself is still fine.
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  test("/readyz gives up on a database that does not answer", async () => {
    // Nothing listens on port 9 (discard): the connection is refused or times out.
    const unreachable = createDatabase({
      url: "postgresql://nobody@127.0.0.1:9/none",
      poolSize: 1,
      connectionTimeoutMs: 500,
    });
    const other = await startHost({ database: unreachable, readinessTimeoutMs: 1_000 });
    try {
      expect((await fetch(`${other.url}/readyz`)).status).toBe(503);
    } finally {
      await other.close();
      await unreachable.close();
    }
  });
});

describe("request ids and logging", () => {
  test("a well-formed X-Request-Id is echoed and logged with the request", async () => {
    const response = await fetch(`${host.url}/healthz?probe=1`, { headers: { "x-request-id": "abc-123_from=proxy" } });
    expect(response.headers.get("x-request-id")).toBe("abc-123_from=proxy");
    const line = host.logs.lines.find((entry) => entry.requestId === "abc-123_from=proxy");
    expect(line).toMatchObject({ msg: "request", method: "GET", path: "/healthz", status: 200 });
  });

  test("without one (or with a malformed one) the host makes one up", async () => {
    const plain = await fetch(`${host.url}/healthz`);
    expect(plain.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const malformed = await fetch(`${host.url}/healthz`, { headers: { "x-request-id": "bad id; with spaces" } });
    expect(malformed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("security headers and limits", () => {
  test("every answer carries the CSP, no-sniff, frame-deny and a referrer policy", async () => {
    for (const route of ["/", "/healthz", "/trpc/me.get", "/no-such-route"]) {
      const response = await fetch(`${host.url}${route}`);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, route).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("x-powered-by")).toBeNull();
    }
  });

  test("a body over 1 MiB is refused with 413 before anything reads it", async () => {
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 1) });
    const response = await fetch(`${host.url}/trpc/workspace.create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: "The request body is larger than the 1024 KiB this server accepts.",
      },
    });
  });

  test("a streamed body (no Content-Length) over the limit is refused too", async () => {
    const chunk = new Uint8Array(256 * 1024);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${host.url}/trpc/workspace.create`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: host.url },
      body,
      duplex: "half",
    });
    expect(response.status).toBe(413);
  });

  test("unknown routes answer 404 as JSON", async () => {
    const response = await fetch(`${host.url}/no-such-route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "No such route." } });
  });
});

describe("the client", () => {
  test("without a built client, a placeholder page", async () => {
    const response = await fetch(`${host.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("The web client is not built yet");
  });

  test("a built client is served, with its shell for client-side routes", async () => {
    const dist = await mkdtemp(path.join(tmpdir(), "northstar-dist-"));
    await writeFile(
      path.join(dist, "index.html"),
      "<!doctype html><title>Northstar app</title><script type=module src=/app.js></script>",
    );
    await writeFile(path.join(dist, "app.js"), "console.log('app');");
    const other = await startHost({ database: ctx().db, clientDir: dist });
    try {
      const script = await fetch(`${other.url}/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toContain("javascript");
      const deep = await fetch(`${other.url}/workspaces/acme/kpis`);
      expect(deep.status).toBe(200);
      expect(await deep.text()).toContain("<title>Northstar app</title>");
      // The API and probes are not swallowed by the fallback.
      expect((await fetch(`${other.url}/healthz`)).headers.get("content-type")).toContain("application/json");
    } finally {
      await other.close();
      await rm(dist, { recursive: true, force: true });
    }
  });
});
