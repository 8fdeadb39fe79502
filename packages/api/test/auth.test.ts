import { createHash } from "node:crypto";
import { Events, type MutableResponse } from "oauth2-mock-server";
import { describe, expect, test } from "vitest";
import {
  type AuthConfig,
  createAuth,
  oauthProvider,
  SignInError,
  type SignInErrorCode,
  stateCookieName,
} from "../src/auth/index.ts";
import { parseCookies, serializeCookie, type SetCookie } from "../src/auth/cookies.ts";
import { sessionCookieName } from "../src/auth/session.ts";
import { useOAuthIssuer } from "../src/testing/oauth-issuer.ts";
import { callerFor, createUser, createWorkspace, expectCode, useApiDatabase } from "./support.ts";

// The real sign-in flow against a local OAuth 2 / OIDC server on 127.0.0.1: authorize, callback,
// session, `me`; and what must fail.

const ctx = useApiDatabase();
const issuer = useOAuthIssuer();

const secret = "test-secret-of-at-least-thirty-two-characters";

function config(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    baseUrl: "http://localhost:3000",
    secret,
    providers: {
      google: issuer.google(),
    },
    ...overrides,
  };
}

interface Profile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

let profileCounter = 0;
function newProfile(): Profile {
  profileCounter += 1;
  const sub = `google-${Date.now()}-${profileCounter}`;
  return {
    sub,
    email: `${sub}@example.com`,
    email_verified: true,
    name: `Person ${profileCounter}`,
    picture: "https://example.com/p.png",
  };
}

/** The browser's part: follow the authorization URL to the provider and read the redirect. */
async function authorize(url: string, profile: Profile): Promise<{ code: string; state: string }> {
  issuer.answerUserinfoWith(profile);
  const response = await fetch(url, { redirect: "manual" });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe("http://localhost:3000/auth/google/callback");
  return { code: location.searchParams.get("code") ?? "", state: location.searchParams.get("state") ?? "" };
}

async function expectSignInError(promise: Promise<unknown>, code: SignInErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SignInError);
  expect((error as SignInError).code).toBe(code);
}

describe("OAuth sign-in (authorization code + state + PKCE)", () => {
  test("authorize -> callback -> session cookie -> me", async () => {
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const url = new URL(begin.url);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toBeTruthy();
    expect(url.searchParams.get("state")).toBeTruthy();
    expect(url.searchParams.get("scope")).toBe("openid email profile");
    expect(begin.stateCookie.header).toMatch(/HttpOnly; SameSite=Lax; Max-Age=600$/);

    const profile = newProfile();
    const { code, state } = await authorize(begin.url, profile);
    const result = await auth.completeSignIn("google", {
      code,
      state,
      stateCookie: begin.stateCookie.value,
      userAgent: "test-browser",
    });
    expect(result.user).toMatchObject({ email: profile.email, name: profile.name, image: profile.picture });
    expect(result.sessionCookie.header).toMatch(
      new RegExp(`^${sessionCookieName}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000$`),
    );
    expect(result.clearStateCookie.header).toContain("Max-Age=0");

    // The host reads the cookie back from the next request.
    const token =
      parseCookies(`other=1; ${sessionCookieName}=${result.sessionCookie.value}`).get(sessionCookieName) ?? null;
    const me = await callerFor(ctx().db, token).me.get();
    expect(me).toMatchObject({ id: result.user.id, email: profile.email });

    // Only the token's SHA-256 is stored.
    const stored = await ctx().admin.query<{ token_hash: Buffer; user_agent: string }>(
      "SELECT token_hash, user_agent FROM sessions WHERE user_id = $1",
      [result.user.id],
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]?.token_hash.equals(createHash("sha256").update(result.sessionToken).digest())).toBe(true);
    expect(stored.rows[0]?.user_agent).toBe("test-browser");
    const user = await ctx().admin.query("SELECT provider, provider_account_id FROM users WHERE id = $1", [
      result.user.id,
    ]);
    expect(user.rows[0]).toEqual({ provider: "google", provider_account_id: profile.sub });
  });

  test("a second sign-in links to the same user by provider account id and refreshes name and email", async () => {
    const auth = createAuth({ database: ctx().db, config: config() });
    const profile = newProfile();
    const first = auth.beginSignIn("google");
    const one = await auth.completeSignIn("google", {
      ...(await authorize(first.url, profile)),
      stateCookie: first.stateCookie.value,
    });
    const second = auth.beginSignIn("google");
    const { picture: _dropped, ...withoutPicture } = profile;
    const changedEmail = `changed-${profile.sub}@example.com`;
    const renamed = { ...withoutPicture, name: "Renamed Person", email: changedEmail };
    const two = await auth.completeSignIn("google", {
      ...(await authorize(second.url, renamed)),
      stateCookie: second.stateCookie.value,
    });
    expect(two.user.id).toBe(one.user.id);
    expect(two.user.name).toBe("Renamed Person");
    // The provider's verified email of today, not the one the account was created with.
    expect(two.user.email).toBe(changedEmail);
    expect(two.user.image).toBeNull();
    expect(_dropped).toBeTruthy();
    const stored = await ctx().admin.query("SELECT email FROM users WHERE id = $1", [one.user.id]);
    expect(stored.rows).toEqual([{ email: changedEmail }]);
  });

  test("after the email changes at the provider, invitations to the old address no longer match", async () => {
    const owner = await createUser(ctx().admin, "Owner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const auth = createAuth({ database: ctx().db, config: config() });
    const signInWith = async (profile: Profile) => {
      const begin = auth.beginSignIn("google");
      return auth.completeSignIn("google", {
        ...(await authorize(begin.url, profile)),
        stateCookie: begin.stateCookie.value,
      });
    };
    const profile = newProfile();
    await signInWith(profile);
    const invited = await ctx().admin.query<{ id: string }>(
      `INSERT INTO invitations (workspace_id, email, role, invited_by_id, expires_at)
       VALUES ($1, $2, 'MEMBER', $3, now() + interval '1 day') RETURNING id`,
      [workspace.id, profile.email, owner.id],
    );
    const invitationId = invited.rows[0]?.id ?? "";
    const moved = await signInWith({ ...profile, email: `moved-${profile.sub}@example.com` });
    const caller = callerFor(ctx().db, moved.sessionToken);
    expect(await caller.me.invitations()).toEqual([]);
    await expectCode(caller.me.acceptInvitation({ invitationId }), "NOT_FOUND");
    await expectCode(caller.me.declineInvitation({ invitationId }), "NOT_FOUND");
    expect(await caller.me.workspaces()).toEqual([]);
  });

  test("an email that another account holds is refused at a later sign-in too: no takeover", async () => {
    const existing = await createUser(ctx().admin, "Existing");
    const auth = createAuth({ database: ctx().db, config: config() });
    const profile = newProfile();
    const first = auth.beginSignIn("google");
    const mine = await auth.completeSignIn("google", {
      ...(await authorize(first.url, profile)),
      stateCookie: first.stateCookie.value,
    });
    const second = auth.beginSignIn("google");
    await expectSignInError(
      auth.completeSignIn("google", {
        ...(await authorize(second.url, { ...profile, email: existing.email })),
        stateCookie: second.stateCookie.value,
      }),
      "email_taken",
    );
    const emails = await ctx().admin.query<{ id: string; email: string }>(
      "SELECT id, email FROM users WHERE id = ANY($1::uuid[]) ORDER BY email",
      [[existing.id, mine.user.id]],
    );
    expect(new Map(emails.rows.map((row) => [row.id, row.email]))).toEqual(
      new Map([
        [existing.id, existing.email],
        [mine.user.id, profile.email],
      ]),
    );
  });

  test("a tampered state, a forged cookie or another provider's cookie is refused", async () => {
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const { code, state } = await authorize(begin.url, newProfile());
    await expectSignInError(
      auth.completeSignIn("google", { code, state: `${state}x`, stateCookie: begin.stateCookie.value }),
      "invalid_state",
    );
    await expectSignInError(auth.completeSignIn("google", { code, state, stateCookie: undefined }), "invalid_state");
    const [body, signature] = begin.stateCookie.value.split(".");
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body ?? "", "base64url").toString()), s: "mine" }),
    ).toString("base64url");
    await expectSignInError(
      auth.completeSignIn("google", { code, state: "mine", stateCookie: `${forgedBody}.${signature ?? ""}` }),
      "invalid_state",
    );
    const otherSecret = createAuth({
      database: ctx().db,
      config: config({ secret: "another-secret-of-thirty-two-characters!" }),
    });
    await expectSignInError(
      otherSecret.completeSignIn("google", { code, state, stateCookie: begin.stateCookie.value }),
      "invalid_state",
    );
    await expectSignInError(
      auth.completeSignIn("github", { code, state, stateCookie: begin.stateCookie.value }),
      "unknown_provider",
    );
    // The untampered callback still works: refusals consumed nothing.
    const result = await auth.completeSignIn("google", { code, state, stateCookie: begin.stateCookie.value });
    expect(result.sessionToken).toHaveLength(43);
  });

  test("an expired state cookie is refused", async () => {
    let now = new Date();
    const auth = createAuth({ database: ctx().db, config: config(), clock: () => now });
    const begin = auth.beginSignIn("google");
    const { code, state } = await authorize(begin.url, newProfile());
    now = new Date(now.getTime() + 11 * 60 * 1000);
    await expectSignInError(
      auth.completeSignIn("google", { code, state, stateCookie: begin.stateCookie.value }),
      "invalid_state",
    );
  });

  test("a replayed code is refused by the provider and creates no second session", async () => {
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const profile = newProfile();
    const params = { ...(await authorize(begin.url, profile)), stateCookie: begin.stateCookie.value };
    const first = await auth.completeSignIn("google", params);
    await expectSignInError(auth.completeSignIn("google", params), "provider_error");
    const sessions = await ctx().admin.query("SELECT 1 FROM sessions WHERE user_id = $1", [first.user.id]);
    expect(sessions.rowCount).toBe(1);
  });

  test("the provider refusing the code, or a profile without a verified email, signs nobody in", async () => {
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const params = { ...(await authorize(begin.url, newProfile())), stateCookie: begin.stateCookie.value };
    issuer.server.service.once(Events.BeforeResponse, (response: MutableResponse) => {
      response.body = { error: "invalid_grant" };
      response.statusCode = 400;
    });
    await expectSignInError(auth.completeSignIn("google", params), "provider_error");

    const again = auth.beginSignIn("google");
    const unverified = { ...newProfile(), email_verified: false };
    const before = await ctx().admin.query("SELECT count(*)::int AS n FROM users");
    await expectSignInError(
      auth.completeSignIn("google", {
        ...(await authorize(again.url, unverified)),
        stateCookie: again.stateCookie.value,
      }),
      "no_verified_email",
    );
    const after = await ctx().admin.query("SELECT count(*)::int AS n FROM users");
    expect(after.rows).toEqual(before.rows);
  });

  test("an email already used by another sign-in method is not silently linked", async () => {
    const existing = await createUser(ctx().admin, "Existing");
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const profile = { ...newProfile(), email: existing.email };
    await expectSignInError(
      auth.completeSignIn("google", { ...(await authorize(begin.url, profile)), stateCookie: begin.stateCookie.value }),
      "email_taken",
    );
  });

  test("sign-in joins nothing: a pending invitation waits for the invitee's answer", async () => {
    const owner = await createUser(ctx().admin, "Owner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const profile = newProfile();
    await ctx().admin.query(
      `INSERT INTO invitations (workspace_id, email, role, invited_by_id, expires_at)
       VALUES ($1, $2, 'ADMIN', $3, now() + interval '1 day')`,
      [workspace.id, profile.email, owner.id],
    );
    const auth = createAuth({ database: ctx().db, config: config() });
    const begin = auth.beginSignIn("google");
    const result = await auth.completeSignIn("google", {
      ...(await authorize(begin.url, profile)),
      stateCookie: begin.stateCookie.value,
    });
    const caller = callerFor(ctx().db, result.sessionToken);
    expect(await caller.me.workspaces()).toEqual([]);
    await expectCode(caller.workspace.get({ workspaceId: workspace.id }), "NOT_FOUND");
    expect(await caller.me.invitations()).toEqual([
      expect.objectContaining({
        workspaceId: workspace.id,
        workspaceName: `Workspace ${workspace.slug}`,
        role: "ADMIN",
        invitedByName: "Owner",
      }),
    ]);
    const left = await ctx().admin.query("SELECT status FROM invitations WHERE workspace_id = $1", [workspace.id]);
    expect(left.rows).toEqual([{ status: "PENDING" }]);
  });

  test("GitHub-style profiles: the verified primary email from /user/emails", async () => {
    const fakeGitHub: typeof fetch = (input) => {
      const url = input instanceof Request ? input.url : input.toString();
      const body = url.endsWith("/user/emails")
        ? [
            { email: "old@example.com", primary: false, verified: true },
            { email: "Octo.Cat@Example.com", primary: true, verified: true },
          ]
        : { id: 583231, login: "octocat", name: null, avatar_url: "https://avatars.example.com/u/583231" };
      return Promise.resolve(Response.json(body));
    };
    const auth = createAuth({
      database: ctx().db,
      config: config({
        fetch: fakeGitHub,
        providers: {
          github: oauthProvider("github", {
            clientId: "northstar",
            clientSecret: "northstar-secret",
            authorizationEndpoint: `${issuer.url}/authorize`,
            tokenEndpoint: `${issuer.url}/token`,
            userinfoEndpoint: "https://api.github.test/user",
            emailsEndpoint: "https://api.github.test/user/emails",
          }),
        },
      }),
    });
    const begin = auth.beginSignIn("github");
    const response = await fetch(begin.url, { redirect: "manual" });
    const location = new URL(response.headers.get("location") ?? "");
    const result = await auth.completeSignIn("github", {
      code: location.searchParams.get("code"),
      state: location.searchParams.get("state"),
      stateCookie: begin.stateCookie.value,
    });
    expect(result.user).toMatchObject({
      email: "octo.cat@example.com",
      name: "octocat",
      image: "https://avatars.example.com/u/583231",
    });
  });

  test("cookies are Secure outside localhost", () => {
    const auth = createAuth({ database: ctx().db, config: config({ baseUrl: "https://northstar.example.com" }) });
    expect(auth.beginSignIn("google").stateCookie.header).toMatch(/; Secure$/);
    expect(createAuth({ database: ctx().db, config: config() }).beginSignIn("google").stateCookie.header).not.toContain(
      "Secure",
    );
    expect(serializeCookie("a", "b", { secure: true }).header).toBe("a=b; Path=/; HttpOnly; SameSite=Lax; Secure");
  });
});

describe("sessions", () => {
  async function session(now: () => Date) {
    const user = await createUser(ctx().admin, "Sessioned");
    const auth = createAuth({ database: ctx().db, config: config({ developmentSignIn: true }), clock: now });
    const result = await auth.developmentSignIn(user.id);
    return { user, token: result.sessionToken };
  }

  test("no cookie, an unknown or a malformed token: UNAUTHORIZED", async () => {
    await expectCode(callerFor(ctx().db, null).me.get(), "UNAUTHORIZED");
    await expectCode(callerFor(ctx().db, "A".repeat(43)).me.get(), "UNAUTHORIZED");
    await expectCode(callerFor(ctx().db, "not a token'; drop table sessions; --").me.get(), "UNAUTHORIZED");
  });

  test("an expired session is refused", async () => {
    const start = new Date();
    const { token } = await session(() => start);
    const later = new Date(start.getTime() + 31 * 24 * 60 * 60 * 1000);
    await expectCode(callerFor(ctx().db, token, { clock: () => later }).me.get(), "UNAUTHORIZED");
    // And by the database's clock too, whatever the application's says.
    await ctx().admin.query(
      `UPDATE sessions SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'
        WHERE token_hash = $1`,
      [createHash("sha256").update(token).digest()],
    );
    await expectCode(callerFor(ctx().db, token).me.get(), "UNAUTHORIZED");
  });

  test("the session slides: used with less than half its life left, it is extended", async () => {
    const start = new Date();
    const { user, token } = await session(() => start);
    const cookies: SetCookie[] = [];
    // Ten days in: more than half left, nothing changes.
    await callerFor(ctx().db, token, { clock: () => new Date(start.getTime() + 10 * 86_400_000), cookies }).me.get();
    expect(cookies).toEqual([]);
    const twentyDaysIn = new Date(start.getTime() + 20 * 86_400_000);
    await callerFor(ctx().db, token, { clock: () => twentyDaysIn, cookies }).me.get();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]?.header).toContain("Max-Age=2592000");
    const stored = await ctx().admin.query<{ expires_at: Date }>("SELECT expires_at FROM sessions WHERE user_id = $1", [
      user.id,
    ]);
    expect(stored.rows[0]?.expires_at.getTime()).toBe(twentyDaysIn.getTime() + 30 * 86_400_000);
    // Forty days after the start it still works: it was extended.
    const me = await callerFor(ctx().db, token, { clock: () => new Date(start.getTime() + 40 * 86_400_000) }).me.get();
    expect(me.id).toBe(user.id);
  });

  test("sign-out revokes the session and clears the cookie", async () => {
    const { token } = await session(() => new Date());
    const cookies: SetCookie[] = [];
    await callerFor(ctx().db, token, { cookies }).me.signOut();
    expect(cookies.at(-1)?.header).toBe(`${sessionCookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    await expectCode(callerFor(ctx().db, token).me.get(), "UNAUTHORIZED");
  });

  test("development sign-in exists only when the config turns it on", async () => {
    const user = await createUser(ctx().admin, "Dev");
    await expectSignInError(
      createAuth({ database: ctx().db, config: config() }).developmentSignIn(user.id),
      "disabled",
    );
    await expectSignInError(
      createAuth({ database: ctx().db, config: config({ developmentSignIn: false }) }).developmentSignIn(user.id),
      "disabled",
    );
    expect(stateCookieName).toBe("northstar_oauth");
  });
});
