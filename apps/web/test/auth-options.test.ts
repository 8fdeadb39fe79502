import { oauthProvider } from "@northstar/api";
import { createDatabase, type Database } from "@northstar/db";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser, type RunningHost, startHost, useHostDatabase } from "./support.ts";

// What the sign-in page asks the host: which buttons to show, and (development sign-in only)
// whom to offer.

const ctx = useHostDatabase();
let plain: RunningHost;
let dev: RunningHost;
// `pnpm dev` connects as the database's owner, which sees every user; the app's own login sees
// only users it shares a workspace with (row-level security), so the list would be empty.
let owner: Database;

beforeAll(async () => {
  const github = oauthProvider("github", { clientId: "id", clientSecret: "secret" });
  owner = createDatabase({ url: ctx().database.adminUrl, poolSize: 2 });
  plain = await startHost({ database: ctx().db, auth: { providers: { github } } });
  dev = await startHost({ database: owner, auth: { developmentSignIn: true } });
});

afterAll(async () => {
  await plain.close();
  await dev.close();
  await owner.close();
});

describe("/auth/options", () => {
  test("lists the configured providers and whether the development sign-in is on", async () => {
    const response = await fetch(`${plain.url}/auth/options`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ providers: ["github"], developmentSignIn: false });
    expect(await (await fetch(`${dev.url}/auth/options`)).json()).toEqual({ providers: [], developmentSignIn: true });
  });

  test("/auth/dev/users lists users only when the development sign-in is on", async () => {
    const user = await createUser(ctx().admin, "Listed");
    expect((await fetch(`${plain.url}/auth/dev/users`)).status).toBe(404);
    const response = await fetch(`${dev.url}/auth/dev/users`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { users: { id: string; email: string }[] };
    expect(body.users).toContainEqual({ id: user.id, name: "Listed", email: user.email });
  });
});
