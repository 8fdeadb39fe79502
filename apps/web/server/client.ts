import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { AuthConfig } from "@northstar/api";
import { Hono } from "hono";
import { html } from "hono/html";

// The web client: the built Vite app when apps/web/dist holds one (production), else a small
// placeholder page with the sign-in links, until the client exists.

export function clientRoutes(options: { clientDir: string | null; auth: AuthConfig }): Hono {
  const routes = new Hono();
  const index = options.clientDir ? path.join(options.clientDir, "index.html") : null;
  if (options.clientDir && index && existsSync(index)) {
    const page = readFileSync(index, "utf8");
    routes.use("/*", serveStatic({ root: options.clientDir }));
    // Client-side routes: every other GET gets the app shell.
    routes.get("/*", (c) => c.html(page));
    return routes;
  }
  const providers = Object.keys(options.auth.providers);
  routes.get("/", (c) =>
    c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Northstar</title>
  </head>
  <body>
    <h1>Northstar</h1>
    <p>The API is up at <code>/trpc</code>. The web client is not built yet (<code>apps/web/dist</code>).</p>
    <ul>
      ${providers.map((name) => html`<li><a href="/auth/${name}/start">Sign in with ${name}</a></li>`)}
      ${options.auth.developmentSignIn === true ? html`<li><a href="/auth/dev">Development sign-in</a></li>` : ""}
    </ul>
    <form method="post" action="/auth/sign-out"><button type="submit">Sign out</button></form>
  </body>
</html>`),
  );
  return routes;
}
