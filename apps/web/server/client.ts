import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { HttpBindings } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { AuthConfig } from "@northstar/api";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { html } from "hono/html";

// The web client, after every other route:
// - development: Vite's dev server in middleware mode (modules, HMR, index.html for client routes);
// - production: the built app in clientDir, hashed assets cached for a year, index.html for
//   client routes;
// - neither: a small placeholder page with the sign-in links.

/** What the host needs of a Vite dev server: its connect middleware stack. */
export interface ClientDevServer {
  middlewares: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
}

interface ClientOptions {
  clientDir: string | null;
  devServer?: ClientDevServer | null;
  auth: AuthConfig;
}

interface ClientEnv {
  Bindings: HttpBindings;
}

function devRoutes(devServer: ClientDevServer): Hono<ClientEnv> {
  const routes = new Hono<ClientEnv>();
  // Vite answers on the Node response itself; Hono is told the answer was sent.
  routes.get("/*", (c) => {
    const { incoming, outgoing } = c.env;
    return new Promise<Response>((resolve, reject) => {
      const sent = () => {
        resolve(RESPONSE_ALREADY_SENT);
      };
      outgoing.once("finish", sent);
      outgoing.once("close", sent);
      devServer.middlewares(incoming, outgoing, (error) => {
        outgoing.off("finish", sent);
        outgoing.off("close", sent);
        if (error) reject(error instanceof Error ? error : new Error("the Vite dev server failed"));
        else resolve(c.json({ error: { code: "NOT_FOUND", message: "No such route." } }, 404));
      });
    });
  });
  return routes;
}

function builtRoutes(clientDir: string, index: string): Hono<ClientEnv> {
  const routes = new Hono<ClientEnv>();
  const page = readFileSync(index, "utf8");
  routes.use("/assets/*", compress());
  routes.use("/assets/*", async (c, next) => {
    await next();
    // File names carry a content hash: a new build gets new names.
    if (c.res.ok) c.header("cache-control", "public, max-age=31536000, immutable");
  });
  routes.use("/*", serveStatic({ root: clientDir }));
  // Client-side routes: every other GET gets the app shell, never cached (it names the assets).
  routes.get("/*", (c) => {
    c.header("cache-control", "no-cache");
    return c.html(page);
  });
  return routes;
}

function placeholderRoutes(auth: AuthConfig): Hono<ClientEnv> {
  const routes = new Hono<ClientEnv>();
  const providers = Object.keys(auth.providers);
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
      ${auth.developmentSignIn === true ? html`<li><a href="/auth/dev">Development sign-in</a></li>` : ""}
    </ul>
    <form method="post" action="/auth/sign-out"><button type="submit">Sign out</button></form>
  </body>
</html>`),
  );
  return routes;
}

export function clientRoutes(options: ClientOptions): Hono<ClientEnv> {
  if (options.devServer) return devRoutes(options.devServer);
  const index = options.clientDir ? path.join(options.clientDir, "index.html") : null;
  if (options.clientDir && index && existsSync(index)) return builtRoutes(options.clientDir, index);
  return placeholderRoutes(options.auth);
}
