import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { crossSiteRefusal } from "../server/same-origin.ts";
import { mutate, query, signedIn } from "./api-calls.ts";
import { type RunningHost, startHost, useHostDatabase } from "./support.ts";

// Cross-site request forgery on /trpc: a write must be JSON (or carry our client's header) and
// come from PUBLIC_URL's origin; a form post from anywhere, or JSON from elsewhere, is refused
// before any procedure runs.

const ctx = useHostDatabase();
let host: RunningHost;
let cookie: string;

beforeAll(async () => {
  host = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
  ({ cookie } = await signedIn(host, ctx().admin));
});

afterAll(async () => {
  await host.close();
});

let slugs = 0;
function newSlug(): string {
  slugs += 1;
  return `csrf-${slugs}-${crypto.randomUUID().slice(0, 8)}`;
}

async function workspaceExists(slug: string): Promise<boolean> {
  const rows = await ctx().admin.query("SELECT 1 FROM workspaces WHERE slug = $1", [slug]);
  return rows.rowCount === 1;
}

/** A workspace.create; `as` a user who owns none yet, so that nothing but the edge would refuse it. */
function post(headers: Record<string, string>, body: string, as = cookie) {
  return fetch(`${host.url}/trpc/workspace.create`, { method: "POST", headers: { cookie: as, ...headers }, body });
}

describe("writes to /trpc", () => {
  test("same-origin JSON, as the web client sends it, works", async () => {
    const slug = newSlug();
    const answer = await mutate(host, cookie, ["workspace.create"], [{ name: "Same origin", slug }]);
    expect(answer).toMatchObject({ status: 200, codes: [null] });
    expect(await workspaceExists(slug)).toBe(true);
    // A browser that sends Sec-Fetch-Site instead of Origin is judged by it.
    const fetchMetadata = await fetch(`${host.url}/trpc/me.declineInvitation`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ json: { invitationId: "00000000-0000-4000-8000-000000000000" } }),
    });
    // Past the host's check, the call ran: no such invitation (404), not the host's 403.
    expect(fetchMetadata.status).toBe(404);
  });

  test("form posts are refused with 403, whatever their origin", async () => {
    const forms: [string, string][] = [
      ["application/x-www-form-urlencoded", new URLSearchParams({ name: "Form", slug: newSlug() }).toString()],
      ["text/plain", JSON.stringify({ json: { name: "Plain text", slug: newSlug() } })],
    ];
    for (const [contentType, body] of forms) {
      const response = await post({ "content-type": contentType, origin: host.url }, body);
      expect(response.status, contentType).toBe(403);
      expect(await response.json()).toEqual({
        error: {
          code: "FORBIDDEN",
          message: "The API takes only JSON requests (Content-Type: application/json) from Northstar's own pages.",
        },
      });
    }
    // multipart/form-data: tRPC itself would hand the form to the procedure.
    const slug = newSlug();
    const form = new FormData();
    form.set("name", "Multipart");
    form.set("slug", slug);
    const multipart = await fetch(`${host.url}/trpc/workspace.create`, {
      method: "POST",
      headers: { cookie, origin: host.url },
      body: form,
    });
    expect(multipart.status).toBe(403);
    expect(await workspaceExists(slug)).toBe(false);
  });

  test("JSON from a foreign origin, or from no named origin, is refused with 403 and runs nothing", async () => {
    const victim = (await signedIn(host, ctx().admin)).cookie;
    const slug = newSlug();
    const body = JSON.stringify({ json: { name: "Forged", slug } });
    const forged = (headers: Record<string, string>) =>
      post({ "content-type": "application/json", ...headers }, body, victim);
    const foreign = await forged({ origin: "https://evil.example.com" });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({
      error: {
        code: "FORBIDDEN",
        message: `The API takes changes only from Northstar's own pages (${host.url}); this request came from https://evil.example.com.`,
      },
    });
    // A sibling host is same-site, so SameSite=Lax lets the cookie through: the origin still differs.
    const sibling = host.url.replace("127.0.0.1", "localhost");
    expect((await forged({ origin: sibling })).status).toBe(403);
    expect((await forged({ origin: "null" })).status).toBe(403);
    expect((await forged({})).status).toBe(403);
    expect((await forged({ "sec-fetch-site": "same-site" })).status).toBe(403);
    expect(await workspaceExists(slug)).toBe(false);
    const line = host.logs.lines.find(
      (entry) => entry.msg === "cross-site write refused" && entry.origin === "https://evil.example.com",
    );
    expect(line).toMatchObject({ path: "/trpc/workspace.create" });
    // The same call from our own origin goes through: the edge was all that stood in its way.
    expect((await forged({ origin: host.url })).status).toBe(200);
    expect(await workspaceExists(slug)).toBe(true);
  });

  test("reads over GET are not writes and need neither", async () => {
    expect(await query(host, cookie, ["me.get"])).toMatchObject({ status: 200, codes: [null] });
  });
});

describe("the rule itself", () => {
  const origin = "https://northstar.example.com";
  const headers = (entries: Record<string, string>) => new Headers(entries);

  test("our client's header stands in for the JSON content type, never for the origin", () => {
    expect(crossSiteRefusal(headers({ "x-trpc-source": "web", origin }), origin)).toBeNull();
    expect(crossSiteRefusal(headers({ "x-trpc-source": "web", origin: "https://evil.example.com" }), origin)).toMatch(
      /only from Northstar's own pages/,
    );
  });

  test("the media type is read without its parameters and case", () => {
    expect(crossSiteRefusal(headers({ "content-type": "Application/JSON; charset=utf-8", origin }), origin)).toBeNull();
    expect(crossSiteRefusal(headers({ "content-type": "application/jsonx", origin }), origin)).toMatch(/only JSON/);
  });
});
