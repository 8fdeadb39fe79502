import { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { pino } from "pino";
import { expect, test } from "vitest";
import { createShutdown } from "../server/shutdown.ts";

// Graceful shutdown over real HTTP: in-flight requests finish, new connections are refused, and
// the resources close afterwards, in order.

async function listening(app: Hono) {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A promise with its resolve, for handlers that wait on the test rather than on a timer. */
function signal() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

test("a shutdown lets the in-flight request finish, refuses new ones, then closes resources in order", async () => {
  const arrived = signal();
  const release = signal();
  const app = new Hono();
  app.get("/slow", async (c) => {
    arrived.resolve();
    await release.promise;
    return c.text("finished");
  });
  const { server, url } = await listening(app);
  // Were the idle keep-alive connection left to its timeout, the shutdown would outlast the test.
  if (!(server instanceof Server)) throw new Error("expected an HTTP/1 server");
  server.keepAliveTimeout = 3_600_000;
  const closed: string[] = [];
  const shutdown = createShutdown({
    server,
    logger: pino({ level: "silent" }),
    drainMs: 3_600_000,
    resources: [
      { name: "database", close: () => Promise.resolve(void closed.push("database")) },
      { name: "embedded", close: () => Promise.resolve(void closed.push("embedded")) },
    ],
  });

  const inFlight = fetch(`${url}/slow`);
  await arrived.promise;
  const stopped = shutdown("SIGTERM");
  // Twice (Ctrl-C, then SIGTERM from turbo) is one shutdown.
  expect(shutdown("SIGINT")).toBe(stopped);
  await expect(fetch(`${url}/slow`)).rejects.toThrow();
  expect(closed).toEqual([]);

  release.resolve();
  const response = await inFlight;
  expect(await response.text()).toBe("finished");
  // Its keep-alive connection is closed as soon as it is idle, not after the keep-alive timeout.
  await stopped;
  expect(closed).toEqual(["database", "embedded"]);
});

test("requests that outlive the drain period are cut off", async () => {
  const arrived = signal();
  const app = new Hono();
  // Never answers: only the drain period's cut-off can end the shutdown.
  app.get("/stuck", () => {
    arrived.resolve();
    return new Promise<Response>(() => undefined);
  });
  const { server, url } = await listening(app);
  const shutdown = createShutdown({ server, logger: pino({ level: "silent" }), resources: [], drainMs: 200 });
  const stuck = fetch(`${url}/stuck`);
  await arrived.promise;
  await shutdown("SIGTERM");
  await expect(stuck).rejects.toThrow();
});
