import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { createApp } from "../server/app.ts";

// The host on an ephemeral 127.0.0.1 port, over real HTTP, for the host tests and the benchmark.
// The app is built once the port is known, since the OAuth callback URL names it.

export interface ListeningApp {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/** Serves the app `build` makes for this url; until it exists, requests get 503. */
export async function listenOnFreePort(build: (url: string) => ReturnType<typeof createApp>): Promise<ListeningApp> {
  const target: { app?: ReturnType<typeof createApp> } = {};
  const server = createAdaptorServer({
    fetch: (request, env) => (target.app ? target.app.fetch(request, env) : new Response("not ready", { status: 503 })),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  target.app = build(url);
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
