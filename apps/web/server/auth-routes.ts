import {
  type Auth,
  type AuthConfig,
  clearedSessionCookie,
  cookieValues,
  createCallerFactory,
  createTRPCContext,
  isSecureContext,
  sessionCookieFrom,
  SignInError,
  stateCookieNameFor,
  appRouter,
} from "@northstar/api";
import { type Database, queryRows, sql } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import type { HostBindings } from "./request.ts";

// The sign-in routes, mounted under /auth. The OAuth work (state, PKCE, the provider round trips,
// users and sessions) is @northstar/api's; these routes only move cookies and redirects.
//   GET  /auth/:provider/start     -> the provider, with the signed state cookie
//   GET  /auth/:provider/callback  -> the app, with the session cookie
//   GET  /auth/dev, POST /auth/dev -> only when the development sign-in is on
//   GET  /auth/options             -> which sign-in buttons the client shows (JSON)
//   GET  /auth/dev/users           -> the users a developer may sign in as (JSON; dev sign-in only)
//   POST /auth/sign-out            -> revokes the session, clears the cookie

/** Where a signed-in (or signed-out) browser lands. */
const appHome = "/";

const createCaller = createCallerFactory(appRouter);

function failurePage(c: Context<HostBindings>, error: SignInError) {
  const status = error.code === "unknown_provider" ? 404 : error.code === "disabled" ? 404 : 400;
  c.header("cache-control", "no-store");
  return c.html(
    html`<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Sign-in failed · Northstar</title></head>
  <body>
    <h1>Sign-in failed</h1>
    <p>${error.message}</p>
    <p><a href="${appHome}">Back to Northstar</a></p>
  </body>
</html>`,
    status,
  );
}

interface AuthRouteOptions {
  auth: Auth;
  config: AuthConfig;
  database: Database;
}

export function authRoutes({ auth, config, database }: AuthRouteOptions): Hono<HostBindings> {
  const routes = new Hono<HostBindings>();
  const secure = isSecureContext(config.baseUrl);

  routes.get("/options", (c) => {
    c.header("cache-control", "no-store");
    return c.json({ providers: Object.keys(config.providers), developmentSignIn: config.developmentSignIn === true });
  });

  routes.get("/:provider/start", (c) => {
    try {
      const { url, stateCookie } = auth.beginSignIn(c.req.param("provider"));
      c.header("set-cookie", stateCookie.header, { append: true });
      c.header("cache-control", "no-store");
      return c.redirect(url, 302);
    } catch (error) {
      if (error instanceof SignInError) return failurePage(c, error);
      throw error;
    }
  });

  routes.get("/:provider/callback", async (c) => {
    const provider = c.req.param("provider");
    // Two state cookies: one was planted; the sign-in starts again rather than guess.
    const stateCookies = cookieValues(c.req.header("cookie"), stateCookieNameFor(secure));
    try {
      const result = await auth.completeSignIn(provider, {
        code: c.req.query("code"),
        state: c.req.query("state"),
        stateCookie: stateCookies.length === 1 ? stateCookies[0] : null,
        userAgent: c.req.header("user-agent") ?? null,
      });
      c.header("set-cookie", result.sessionCookie.header, { append: true });
      c.header("set-cookie", result.clearStateCookie.header, { append: true });
      c.header("cache-control", "no-store");
      c.var.log.info({ userId: result.user.id, provider }, "signed in");
      return c.redirect(appHome, 302);
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      c.var.log.warn({ provider, code: error.code, cause: error.cause }, "sign-in refused");
      return failurePage(c, error);
    }
  });

  routes.post("/sign-out", async (c) => {
    // With two session cookies neither is revoked (either may be planted); ours is cleared.
    const sessionCookie = sessionCookieFrom(c.req.header("cookie"), secure);
    const token = sessionCookie.kind === "one" ? sessionCookie.token : null;
    const setCookies: string[] = [];
    const caller = createCaller(
      createTRPCContext({
        database,
        sessionToken: token,
        request: { ip: c.var.clientIp, userAgent: c.req.header("user-agent") ?? null, requestId: c.var.requestId },
        secureCookies: secure,
        setCookie: (cookie) => setCookies.push(cookie.header),
      }),
    );
    try {
      await caller.me.signOut();
    } catch (error) {
      // Signed out already (or never signed in): clearing the cookie is all there is to do.
      if (!(error instanceof TRPCError && error.code === "UNAUTHORIZED")) throw error;
      setCookies.push(clearedSessionCookie(secure).header);
    }
    for (const header of setCookies) c.header("set-cookie", header, { append: true });
    return c.redirect(appHome, 303);
  });

  if (config.developmentSignIn === true) {
    // Local development only (the flag is refused in production): the users app.development_users()
    // lists, as northstar_app; only a development database lets that role call it (dev-database.ts).
    const developmentUsers = () =>
      queryRows(
        database.reader({ userId: null, workspaceId: null }),
        sql<{ id: string; name: string; email: string }>`SELECT id::text AS id, name, email
          FROM app.development_users(50)`,
      ).catch(() => []);

    routes.get("/dev/users", async (c) => {
      c.header("cache-control", "no-store");
      return c.json({ users: await developmentUsers() });
    });

    routes.get("/dev", async (c) => {
      const users = await developmentUsers();
      const options = users.map((user) => html`<option value="${user.id}">${user.name} (${user.email})</option>`);
      return c.html(html`<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Development sign-in · Northstar</title></head>
  <body>
    <h1>Development sign-in</h1>
    <form method="post" action="/auth/dev">
      <label>User id <input name="userId" list="users" required /></label>
      <datalist id="users">${options}</datalist>
      <button type="submit">Sign in</button>
    </form>
  </body>
</html>`);
    });

    routes.post("/dev", async (c) => {
      const body = await c.req.parseBody();
      const userId = typeof body.userId === "string" ? body.userId : "";
      try {
        const result = await auth.developmentSignIn(userId, c.req.header("user-agent") ?? null);
        c.header("set-cookie", result.sessionCookie.header, { append: true });
        c.var.log.info({ userId: result.user.id }, "signed in (development sign-in)");
        return c.redirect(appHome, 303);
      } catch (error) {
        if (error instanceof SignInError) return failurePage(c, error);
        throw error;
      }
    });
  }

  return routes;
}
