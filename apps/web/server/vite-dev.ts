import path from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type ViteDevServer } from "vite";

// `pnpm dev`: the client from source through Vite in middleware mode, inside the host, so the
// app, the API and the sign-in routes share one origin (the session cookie just works).
// Imported only outside production: vite is a dev dependency.

export function createClientDevServer(): Promise<ViteDevServer> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  return createServer({
    root,
    configFile: path.join(root, "vite.config.ts"),
    appType: "spa",
    server: { middlewareMode: true },
  });
}
