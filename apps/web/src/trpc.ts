import type { AppRouter, RouterInputs, RouterOutputs } from "@northstar/api";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { transformer } from "@northstar/core/transformer";

// The typed API client. Only types come from @northstar/api: no server code reaches the bundle.

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createApiClient() {
  return createTRPCClient<AppRouter>({
    // Same origin: the session cookie goes along. Long batches split rather than overflow a URL,
    // and at the host's cap of 20 calls a batch (apps/web/server/app.ts), which refuses longer ones.
    // The header marks our own client's writes (see the host's same-origin.ts).
    links: [
      httpBatchLink({
        url: "/trpc",
        transformer,
        maxURLLength: 4000,
        maxItems: 20,
        headers: { "x-trpc-source": "web" },
      }),
    ],
  });
}

export type { RouterInputs, RouterOutputs };
export type ApiError = TRPCClientError<AppRouter>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof TRPCClientError;
}
