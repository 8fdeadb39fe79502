import { oauthProvider } from "@northstar/api";
import { allowDevelopmentSignIn } from "@northstar/db/dev-database";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser, type RunningHost, startHost, useHostDatabase } from "./support.ts";

// What the sign-in page asks the host: which buttons to show, and (development sign-in only)
// whom to offer.

const ctx = useHostDatabase();
let plain: RunningHost;
let dev: RunningHost;

// Both hosts connect with the host's own login, as `pnpm dev` does: it never sees every user by
// itself (row-level security); app.development_users() lists them once the database allows it.
beforeAll(async () => {
  const github = oauthProvider("github", { clientId: "id", clientSecret: "secret" });
  plain = await startHost({ database: ctx().db, auth: { providers: { github } } });
  dev = await startHost({ database: ctx().db, auth: { developmentSignIn: true } });
});

afterAll(async () => {
  await plain.close();
  await dev.close();
});

describe("/auth/options", () => {
  test("lists the configured providers and whether the development sign-in is on", async () => {
    const response = await fetch(`${plain.url}/auth/options`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ providers: ["github"], developmentSignIn: false });
    expect(await (await fetch(`${dev.url}/auth/options`)).json()).toEqual({ providers: [], developmentSignIn: true });
  });

  test("/auth/dev/users lists users only when the development sign-in is on, and the database allows it", async () => {
    const user = await createUser(ctx().admin, "Listed");
    expect((await fetch(`${plain.url}/auth/dev/users`)).status).toBe(404);
    // A database migrated as production is: the host's login may not list users.
    expect(await (await fetch(`${dev.url}/auth/dev/users`)).json()).toEqual({ users: [] });
    // What `pnpm dev` does to its development database (dev-database.ts).
    await allowDevelopmentSignIn(ctx().database.adminUrl);
    const response = await fetch(`${dev.url}/auth/dev/users`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { users: { id: string; email: string }[] };
    expect(body.users).toContainEqual({ id: user.id, name: "Listed", email: user.email });
  });
});
