import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createAdaptorServer } from "@hono/node-server";
import type { AuthConfig } from "@northstar/api";
import type { Database } from "@northstar/db";
import { type TestContext, useTestDatabase } from "@northstar/db/testing/vitest";
import { pino } from "pino";
import { type AppOptions, createApp } from "../server/app.ts";

export type AdminPool = Database["pool"];
export type HostTestDatabase = TestContext;
export const useHostDatabase = useTestDatabase;

export const testSecret = "a-test-secret-that-is-long-enough-1234";

/** Log lines the host wrote, parsed. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
}

export interface RunningHost {
  /** http://127.0.0.1:<port> */
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * The host on an ephemeral 127.0.0.1 port, over real HTTP. The app is built once the port is
 * known, since the OAuth callback URL names it.
 */
export async function startHost(
  options: Omit<AppOptions, "auth" | "logger"> & { auth?: Partial<AuthConfig> },
): Promise<RunningHost> {
  const target: { app?: ReturnType<typeof createApp> } = {};
  const server = createAdaptorServer({
    fetch: (request, env) => {
      if (!target.app) return new Response("not ready", { status: 503 });
      return target.app.fetch(request, env);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const logs = new LogCapture();
  const app = createApp({
    ...options,
    auth: { baseUrl: url, secret: testSecret, providers: {}, ...options.auth },
    logger: pino({ level: "debug" }, logs.stream),
  });
  target.app = app;
  return {
    url,
    logs,
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

/** A user row, as an operator would insert it. */
export async function createUser(admin: AdminPool, name: string): Promise<{ id: string; email: string }> {
  const id = randomUUID();
  const email = `${name.toLowerCase()}-${id.slice(0, 8)}@example.com`;
  await admin.query(
    "INSERT INTO users (id, email, name, provider, provider_account_id) VALUES ($1, $2, $3, 'github', $4)",
    [id, email, name, id],
  );
  return { id, email };
}

/** name=value of each Set-Cookie header for `name` (the last one wins, as in a browser). */
export function cookieFrom(response: Response, name: string): string | undefined {
  const headers = response.headers.getSetCookie().filter((header) => header.startsWith(`${name}=`));
  return headers.at(-1)?.split(";")[0];
}
