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

test("a shutdown lets the in-flight request finish, refuses new ones, then closes resources in order", async () => {
  const app = new Hono();
  app.get("/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return c.text("finished");
  });
  const { server, url } = await listening(app);
  const closed: string[] = [];
  const shutdown = createShutdown({
    server,
    logger: pino({ level: "silent" }),
    resources: [
      { name: "database", close: () => Promise.resolve(void closed.push("database")) },
      { name: "embedded", close: () => Promise.resolve(void closed.push("embedded")) },
    ],
  });

  const inFlight = fetch(`${url}/slow`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const stopped = shutdown("SIGTERM");
  // Twice (Ctrl-C, then SIGTERM from turbo) is one shutdown.
  expect(shutdown("SIGINT")).toBe(stopped);
  await expect(fetch(`${url}/slow`)).rejects.toThrow();
  expect(closed).toEqual([]);

  const response = await inFlight;
  expect(await response.text()).toBe("finished");
  const finished = Date.now();
  await stopped;
  // Its keep-alive connection is closed as soon as it is idle, not after the keep-alive timeout.
  expect(Date.now() - finished).toBeLessThan(1_000);
  expect(closed).toEqual(["database", "embedded"]);
});

test("requests that outlive the drain period are cut off", async () => {
  const app = new Hono();
  app.get("/stuck", () => new Promise<Response>(() => undefined));
  const { server, url } = await listening(app);
  const shutdown = createShutdown({ server, logger: pino({ level: "silent" }), resources: [], drainMs: 200 });
  const stuck = fetch(`${url}/stuck`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await shutdown("SIGTERM");
  expect(Date.now() - started).toBeLessThan(2_000);
  await expect(stuck).rejects.toThrow();
});
