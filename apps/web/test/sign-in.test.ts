import { sessionCookieName, stateCookieName } from "@northstar/api";
import { useOAuthIssuer } from "@northstar/api/testing/oauth-issuer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cookieFrom, createUser, type RunningHost, startHost, useHostDatabase } from "./support.ts";

// Sign-in through the host's HTTP routes against a local OAuth 2 / OIDC server on 127.0.0.1,
// the session cookie on /trpc, sign-out, and what must be refused.

const ctx = useHostDatabase();
const issuer = useOAuthIssuer();
let host: RunningHost;

beforeAll(async () => {
  // Every test here signs in a few times from the same address: the limit has its own test.
  host = await startHost({
    database: ctx().db,
    auth: { providers: { google: issuer.google() } },
    rateLimits: { signIn: { burst: 1_000, perSecond: 100 } },
  });
});

afterAll(async () => {
  await host.close();
});

let profiles = 0;
function newProfile() {
  profiles += 1;
  const sub = `google-${Date.now()}-${profiles}`;
  return { sub, email: `${sub}@example.com`, email_verified: true, name: `Person ${profiles}` };
}

interface Started {
  /** name=value of the state cookie, as the browser sends it back. */
  stateCookie: string;
  callback: URL;
}

/** The browser's part: /auth/google/start, then the provider's authorize, back to our callback. */
async function startSignIn(baseUrl: string, profile: ReturnType<typeof newProfile>): Promise<Started> {
  const start = await fetch(`${baseUrl}/auth/google/start`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const stateCookie = cookieFrom(start, stateCookieName) ?? "";
  expect(start.headers.getSetCookie().find((header) => header.startsWith(`${stateCookieName}=`))).toMatch(
    /; Path=\/auth; HttpOnly; SameSite=Lax; Max-Age=600$/,
  );
  const authorize = new URL(start.headers.get("location") ?? "");
  expect(authorize.origin + authorize.pathname).toBe(`${issuer.url}/authorize`);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");

  issuer.answerUserinfoWith(profile);
  const provider = await fetch(authorize, { redirect: "manual" });
  expect(provider.status).toBe(302);
  const callback = new URL(provider.headers.get("location") ?? "");
  expect(callback.origin + callback.pathname).toBe(`${baseUrl}/auth/google/callback`);
  return { stateCookie, callback };
}

async function me(baseUrl: string, sessionCookie: string | undefined) {
  const response = await fetch(`${baseUrl}/trpc/me.get`, { headers: sessionCookie ? { cookie: sessionCookie } : {} });
  const body = (await response.json()) as {
    result?: { data: { json: { id: string; email: string } } };
    error?: { json: { data: { code: string } } };
  };
  return { status: response.status, body };
}

describe("OAuth sign-in over HTTP", () => {
  test("start -> provider -> callback -> session cookie -> me over /trpc", async () => {
    const profile = newProfile();
    const { stateCookie, callback } = await startSignIn(host.url, profile);
    const done = await fetch(callback, { redirect: "manual", headers: { cookie: stateCookie } });
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/");
    const setCookies = done.headers.getSetCookie();
    expect(setCookies.find((header) => header.startsWith(`${sessionCookieName}=`))).toMatch(
      /^northstar_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000$/,
    );
    expect(setCookies.find((header) => header.startsWith(`${stateCookieName}=`))).toContain("Max-Age=0");

    const session = cookieFrom(done, sessionCookieName);
    const answer = await me(host.url, session);
    expect(answer.status).toBe(200);
    expect(answer.body.result?.data.json).toMatchObject({ email: profile.email });
    expect((await me(host.url, undefined)).status).toBe(401);
  });

  test("sign-out revokes the session and clears the cookie", async () => {
    const { stateCookie, callback } = await startSignIn(host.url, newProfile());
    const session = cookieFrom(
      await fetch(callback, { redirect: "manual", headers: { cookie: stateCookie } }),
      sessionCookieName,
    );
    expect((await me(host.url, session)).status).toBe(200);

    const out = await fetch(`${host.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: session ?? "", origin: host.url },
    });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie()).toContain(`${sessionCookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    // The old cookie no longer works even when a client keeps sending it.
    const after = await me(host.url, session);
    expect(after.status).toBe(401);
    expect(after.body.error?.json.data.code).toBe("UNAUTHORIZED");
    // Signing out again (or without a session) just clears the cookie.
    expect(
      (
        await fetch(`${host.url}/auth/sign-out`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: session ?? "", origin: host.url },
        })
      ).status,
    ).toBe(303);
  });

  test("a tampered state, a missing state cookie or a foreign cookie is refused and signs nobody in", async () => {
    const { stateCookie, callback } = await startSignIn(host.url, newProfile());
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${callback.searchParams.get("state") ?? ""}x`);
    const refused = await fetch(tampered, { redirect: "manual", headers: { cookie: stateCookie } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("The sign-in link expired or was tampered with");
    expect(cookieFrom(refused, sessionCookieName)).toBeUndefined();

    expect((await fetch(callback, { redirect: "manual" })).status).toBe(400);
    const [name, value] = stateCookie.split("=");
    expect(
      (await fetch(callback, { redirect: "manual", headers: { cookie: `${name ?? ""}=${value ?? ""}AA` } })).status,
    ).toBe(400);
    // The untampered callback still works: the refusals consumed nothing.
    const ok = await fetch(callback, { redirect: "manual", headers: { cookie: stateCookie } });
    expect(ok.status).toBe(302);
    // And the code cannot be replayed.
    const replay = await fetch(callback, { redirect: "manual", headers: { cookie: stateCookie } });
    expect(replay.status).toBe(400);
    expect(cookieFrom(replay, sessionCookieName)).toBeUndefined();
  });

  test("an unknown or unconfigured provider is a 404", async () => {
    expect((await fetch(`${host.url}/auth/github/start`, { redirect: "manual" })).status).toBe(404);
    expect((await fetch(`${host.url}/auth/myspace/start`, { redirect: "manual" })).status).toBe(404);
  });

  test("posts to the sign-in routes from another origin (or none) are refused", async () => {
    expect((await fetch(`${host.url}/auth/sign-out`, { method: "POST", redirect: "manual" })).status).toBe(403);
    const response = await fetch(`${host.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: "https://evil.example.com", "content-type": "application/x-www-form-urlencoded" },
      body: "x=1",
    });
    expect(response.status).toBe(403);
  });
});

describe("development sign-in", () => {
  test("/auth/dev is a 404 unless turned on", async () => {
    expect((await fetch(`${host.url}/auth/dev`)).status).toBe(404);
    const user = await createUser(ctx().admin, "Dev");
    const post = await fetch(`${host.url}/auth/dev`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: host.url },
      body: new URLSearchParams({ userId: user.id }),
    });
    expect(post.status).toBe(404);
    expect(cookieFrom(post, sessionCookieName)).toBeUndefined();
  });

  test("when turned on, it signs in as the chosen user", async () => {
    const dev = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
    try {
      const page = await fetch(`${dev.url}/auth/dev`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<form method="post" action="/auth/dev">');
      const user = await createUser(ctx().admin, "Dev");
      const post = await fetch(`${dev.url}/auth/dev`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: dev.url },
        body: new URLSearchParams({ userId: user.id }),
      });
      expect(post.status).toBe(303);
      const answer = await me(dev.url, cookieFrom(post, sessionCookieName));
      expect(answer.body.result?.data.json).toMatchObject({ id: user.id, email: user.email });
      const unknown = await fetch(`${dev.url}/auth/dev`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: dev.url },
        body: new URLSearchParams({ userId: "nope" }),
      });
      expect(unknown.status).toBe(400);
    } finally {
      await dev.close();
    }
  });
});

describe("rate limits", () => {
  test("sign-in attempts beyond the burst get 429 with Retry-After", async () => {
    const limited = await startHost({
      database: ctx().db,
      auth: { providers: { google: issuer.google() } },
      // One token an hour: no token comes back while the test runs, however slow the machine.
      rateLimits: { signIn: { burst: 3, perSecond: 1 / 3600 } },
    });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await fetch(`${limited.url}/auth/google/start`, { redirect: "manual" })).status).toBe(302);
      }
      const refused = await fetch(`${limited.url}/auth/google/start`, { redirect: "manual" });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
      expect(await refused.text()).toMatch(/^Too many attempts; try again in \d+ seconds\.$/);
      // The callback shares the sign-in bucket; other routes do not.
      expect((await fetch(`${limited.url}/auth/google/callback?code=x&state=y`, { redirect: "manual" })).status).toBe(
        429,
      );
      expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${limited.url}/trpc/me.get`)).status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  test("tRPC mutations beyond the burst get TOO_MANY_REQUESTS (429) with Retry-After; queries do not", async () => {
    const limited = await startHost({
      database: ctx().db,
      auth: { developmentSignIn: true },
      rateLimits: { mutations: { burst: 2, perSecond: 1 / 30 } },
    });
    try {
      const user = await createUser(ctx().admin, "Busy");
      const session = cookieFrom(
        await fetch(`${limited.url}/auth/dev`, {
          method: "POST",
          redirect: "manual",
          headers: { origin: limited.url },
          body: new URLSearchParams({ userId: user.id }),
        }),
        sessionCookieName,
      );
      // Declining an invitation that does not exist: a mutation that changes nothing (NOT_FOUND).
      const mutate = () =>
        fetch(`${limited.url}/trpc/me.declineInvitation`, {
          method: "POST",
          headers: { cookie: session ?? "", "content-type": "application/json", origin: limited.url },
          body: JSON.stringify({ json: { invitationId: "00000000-0000-4000-8000-000000000000" } }),
        });
      expect((await mutate()).status).toBe(404);
      expect((await mutate()).status).toBe(404);
      const refused = await mutate();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      const body = (await refused.json()) as {
        error: { json: { message: string; data: { code: string; httpStatus: number } } };
      };
      expect(body.error.json.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
      expect(body.error.json.message).toMatch(/^Too many changes in a short time; try again in \d+ seconds\.$/);
      // Reads are not mutations.
      expect((await me(limited.url, session)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
