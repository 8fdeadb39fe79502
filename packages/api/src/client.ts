// A typed tRPC client for Node code that calls a running host over HTTP: apps/web's end-to-end
// tests. (The worker cannot use it: it does not depend on @northstar/api and works on the database.)
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { transformer } from "@northstar/core/transformer";
import type { AppRouter } from "./root.ts";

/** `fetch` may carry the session cookie (or be a test double); by default the global fetch. */
export function createNorthstarClient(url: string, fetchImpl?: typeof fetch) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url, transformer, ...(fetchImpl ? { fetch: fetchImpl } : {}) })],
  });
}

export type NorthstarClient = ReturnType<typeof createNorthstarClient>;
export type { AppRouter, RouterInputs, RouterOutputs } from "./root.ts";
