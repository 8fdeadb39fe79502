import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "./root.ts";

/**
 * A typed vanilla client for scripts and the worker. `fetch` may carry the session cookie (or be
 * a test double); by default the global fetch.
 */
export function createNorthstarClient(url: string, fetchImpl?: typeof fetch) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url, transformer: superjson, ...(fetchImpl ? { fetch: fetchImpl } : {}) })],
  });
}

export type NorthstarClient = ReturnType<typeof createNorthstarClient>;
export type { AppRouter, RouterInputs, RouterOutputs } from "./root.ts";
