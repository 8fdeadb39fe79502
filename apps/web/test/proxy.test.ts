import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseEnv } from "../server/env.ts";
import { clientAddressFrom } from "../server/request.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// Whose address a request is (the rate limits' key, the logs' ip): the socket's, unless the host
// is told how many proxies in front of it append to X-Forwarded-For.

const ctx = useHostDatabase();

describe("the client address", () => {
  test("no trusted proxy: X-Forwarded-For is ignored", () => {
    expect(clientAddressFrom("203.0.113.1", "127.0.0.1", 0)).toBe("127.0.0.1");
    expect(clientAddressFrom(undefined, "127.0.0.1", 0)).toBe("127.0.0.1");
  });

  test("N trusted proxies: the N-th entry from the right, which the outermost proxy wrote", () => {
    const header = "198.51.100.9, 203.0.113.1,10.0.0.1";
    expect(clientAddressFrom(header, "10.0.0.2", 1)).toBe("10.0.0.1");
    expect(clientAddressFrom(header, "10.0.0.2", 2)).toBe("203.0.113.1");
    expect(clientAddressFrom(header, "10.0.0.2", 3)).toBe("198.51.100.9");
    expect(clientAddressFrom("2001:db8::1", "10.0.0.2", 1)).toBe("2001:db8::1");
  });

  test("a header that did not pass through every proxy, or holds no address there, counts for nothing", () => {
    expect(clientAddressFrom("203.0.113.1", "10.0.0.2", 2)).toBe("10.0.0.2");
    expect(clientAddressFrom("", "10.0.0.2", 1)).toBe("10.0.0.2");
    expect(clientAddressFrom("203.0.113.1, not-an-address", "10.0.0.2", 1)).toBe("10.0.0.2");
  });
});

describe("settings", () => {
  test("NORTHSTAR_TRUSTED_PROXY_HOPS: 0 by default, a small whole number", () => {
    expect(parseEnv({}).trustedProxyHops).toBe(0);
    expect(parseEnv({ NORTHSTAR_TRUSTED_PROXY_HOPS: "2" }).trustedProxyHops).toBe(2);
    expect(() => parseEnv({ NORTHSTAR_TRUSTED_PROXY_HOPS: "-1" })).toThrow(/NORTHSTAR_TRUSTED_PROXY_HOPS/);
    expect(() => parseEnv({ NORTHSTAR_TRUSTED_PROXY_HOPS: "yes" })).toThrow(/NORTHSTAR_TRUSTED_PROXY_HOPS/);
  });

  test("the old NORTHSTAR_TRUST_PROXY is refused with what to set instead", () => {
    expect(() => parseEnv({ NORTHSTAR_TRUST_PROXY: "1" })).toThrow(
      /NORTHSTAR_TRUST_PROXY: no longer read: set NORTHSTAR_TRUSTED_PROXY_HOPS to the number of reverse proxies/,
    );
    expect(parseEnv({ NORTHSTAR_TRUST_PROXY: "" }).trustedProxyHops).toBe(0);
  });
});

describe("over HTTP: the rate limits' key", () => {
  // One sign-in attempt an hour per address: no token comes back while the test runs.
  const signIn = { burst: 1, perSecond: 1 / 3600 };
  let direct: RunningHost;
  let proxied: RunningHost;

  beforeAll(async () => {
    direct = await startHost({ database: ctx().db, auth: { developmentSignIn: true }, rateLimits: { signIn } });
    proxied = await startHost({
      database: ctx().db,
      auth: { developmentSignIn: true },
      trustedProxyHops: 1,
      rateLimits: { signIn },
    });
  });

  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  const attempt = (host: RunningHost, forwardedFor: string) =>
    fetch(`${host.url}/auth/dev`, {
      headers: { "x-forwarded-for": forwardedFor, "x-request-id": crypto.randomUUID() },
    });

  function loggedIp(host: RunningHost, response: Response): unknown {
    const id = response.headers.get("x-request-id");
    return host.logs.lines.find((line) => line.requestId === id && line.msg === "request")?.ip;
  }

  test("with no trusted proxy, a spoofed X-Forwarded-For does not buy a new bucket", async () => {
    const first = await attempt(direct, "203.0.113.1");
    expect(first.status).toBe(200);
    expect(loggedIp(direct, first)).toBe("127.0.0.1");
    const spoofed = await attempt(direct, "203.0.113.2");
    expect(spoofed.status).toBe(429);
    expect(loggedIp(direct, spoofed)).toBe("127.0.0.1");
  });

  test("behind one trusted proxy, the rightmost entry counts and what the client wrote left of it does not", async () => {
    const first = await attempt(proxied, "198.51.100.1, 203.0.113.7");
    expect(first.status).toBe(200);
    expect(loggedIp(proxied, first)).toBe("203.0.113.7");
    // Same client (the proxy's entry), a different invented entry: the same bucket.
    expect((await attempt(proxied, "198.51.100.2, 203.0.113.7")).status).toBe(429);
    expect((await attempt(proxied, "203.0.113.7")).status).toBe(429);
    // Another client, as the proxy saw it: its own bucket.
    const other = await attempt(proxied, "203.0.113.7, 203.0.113.8");
    expect(other.status).toBe(200);
    expect(loggedIp(proxied, other)).toBe("203.0.113.8");
  });
});
