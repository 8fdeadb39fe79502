import { sessionCookieName, stateCookieName } from "@northstar/api";
import { useOAuthIssuer } from "@northstar/api/testing/oauth-issuer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { query, signedIn } from "./api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// The cookies' names: `__Host-` wherever cookies are Secure (an https PUBLIC_URL), so no sibling
// host can plant or shadow one; and a request carrying two session cookies is refused.

const ctx = useHostDatabase();
const issuer = useOAuthIssuer();
const publicUrl = "https://northstar.example.com";
let secureHost: RunningHost;
let plainHost: RunningHost;

beforeAll(async () => {
  // Served on 127.0.0.1 as the tests reach it; the public URL says https, as behind a TLS proxy.
  secureHost = await startHost({
    database: ctx().db,
    auth: { baseUrl: publicUrl, developmentSignIn: true, providers: { google: issuer.google() } },
  });
  plainHost = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
});

afterAll(async () => {
  await secureHost.close();
  await plainHost.close();
});

describe("an https public URL", () => {
  test("the session cookie is __Host-northstar_session: Secure, Path=/, no Domain", async () => {
    const response = await fetch(`${secureHost.url}/auth/dev`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: publicUrl },
      body: new URLSearchParams({ userId: (await signedIn(plainHost, ctx().admin)).id }),
    });
    expect(response.status).toBe(303);
    const setCookie = response.headers.getSetCookie().find((header) => header.startsWith("__Host-"));
    expect(setCookie).toMatch(
      /^__Host-northstar_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure$/,
    );
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  test("only the __Host- name signs a request in; the bare name is ignored", async () => {
    const { cookie } = await signedIn(secureHost, ctx().admin, { origin: publicUrl, secure: true });
    expect(cookie.startsWith("__Host-northstar_session=")).toBe(true);
    expect(await query(secureHost, cookie, ["me.get"])).toMatchObject({ status: 200, codes: [null] });
    const bare = cookie.replace("__Host-northstar_session=", `${sessionCookieName}=`);
    expect(await query(secureHost, bare, ["me.get"])).toMatchObject({ status: 401, codes: ["UNAUTHORIZED"] });
  });

  test("sign-out clears the __Host- cookie", async () => {
    const { cookie } = await signedIn(secureHost, ctx().admin, { origin: publicUrl, secure: true });
    const out = await fetch(`${secureHost.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: publicUrl },
    });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie()).toContain(
      "__Host-northstar_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure",
    );
    expect(await query(secureHost, cookie, ["me.get"])).toMatchObject({ status: 401 });
  });

  test("the sign-in state cookie is __Host-northstar_oauth with Path=/, and two of them are refused", async () => {
    const start = await fetch(`${secureHost.url}/auth/google/start`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const setCookie = start.headers.getSetCookie().find((header) => header.startsWith(`__Host-${stateCookieName}=`));
    expect(setCookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
    const state = setCookie?.split(";")[0] ?? "";
    const sub = `edge-${crypto.randomUUID()}`;
    issuer.answerUserinfoWith({ sub, email: `${sub}@example.com`, email_verified: true, name: "Edge" });
    const provider = await fetch(new URL(start.headers.get("location") ?? ""), { redirect: "manual" });
    // The provider sends the browser to the public URL; the test takes the path to this host.
    const callback = new URL(provider.headers.get("location") ?? "");
    expect(callback.origin).toBe(publicUrl);
    const local = `${secureHost.url}${callback.pathname}${callback.search}`;
    const planted = `__Host-${stateCookieName}=planted.value`;
    const twice = await fetch(local, { redirect: "manual", headers: { cookie: `${planted}; ${state}` } });
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain("The sign-in link expired or was tampered with");
    // The state alone completes the sign-in, with a __Host- session cookie.
    const done = await fetch(local, { redirect: "manual", headers: { cookie: state } });
    expect(done.status).toBe(302);
    expect(done.headers.getSetCookie().some((header) => header.startsWith("__Host-northstar_session="))).toBe(true);
  });
});

describe("two session cookies", () => {
  test("are refused with 400 on /trpc, over https and plain http alike", async () => {
    const secure = await signedIn(secureHost, ctx().admin, { origin: publicUrl, secure: true });
    const other = await signedIn(secureHost, ctx().admin, { origin: publicUrl, secure: true });
    const both = await query(secureHost, `${secure.cookie}; ${other.cookie}`, ["me.get"]);
    expect(both).toMatchObject({ status: 400, codes: ["BAD_REQUEST"] });
    expect(both.messages[0]).toBe(
      "This browser sent two Northstar session cookies, so neither is trusted; clear this site's cookies and sign in again.",
    );

    const plain = await signedIn(plainHost, ctx().admin);
    expect(plain.cookie.startsWith(`${sessionCookieName}=`)).toBe(true);
    expect(await query(plainHost, plain.cookie, ["me.get"])).toMatchObject({ status: 200 });
    // Even the same value twice: a second cookie is one we did not set.
    expect(await query(plainHost, `${plain.cookie}; ${plain.cookie}`, ["me.get"])).toMatchObject({
      status: 400,
      codes: ["BAD_REQUEST"],
    });
  });
});
