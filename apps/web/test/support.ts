import { Writable } from "node:stream";
import type { AuthConfig } from "@northstar/api";
import { type TestContext, useTestDatabase } from "@northstar/db/testing/vitest";
import { pino } from "pino";
import { type AppOptions, createApp } from "../server/app.ts";
import { type ListeningApp, listenOnFreePort } from "./listen.ts";

export { createUser } from "@northstar/db/testing";

export type AdminPool = TestContext["admin"];
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

export interface RunningHost extends ListeningApp {
  logs: LogCapture;
}

/** The host on an ephemeral 127.0.0.1 port (see listenOnFreePort), its logs captured. */
export async function startHost(
  options: Omit<AppOptions, "auth" | "logger"> & { auth?: Partial<AuthConfig> },
): Promise<RunningHost> {
  const logs = new LogCapture();
  const listening = await listenOnFreePort((url) =>
    createApp({
      ...options,
      auth: { baseUrl: url, secret: testSecret, providers: {}, ...options.auth },
      logger: pino({ level: "debug" }, logs.stream),
    }),
  );
  return { ...listening, logs };
}

/** name=value of each Set-Cookie header for `name` (the last one wins, as in a browser). */
export function cookieFrom(response: Response, name: string): string | undefined {
  const headers = response.headers.getSetCookie().filter((header) => header.startsWith(`${name}=`));
  return headers.at(-1)?.split(";")[0];
}
