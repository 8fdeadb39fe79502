import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { RouterProvider } from "react-router";
import { ToastProvider, useToast } from "./components/Toasts.tsx";
import { errorCode, errorMessage } from "./lib/errors.ts";
import { router } from "./router.tsx";
import { createApiClient, TRPCProvider } from "./trpc.ts";

// Providers: toasts, TanStack Query with the tRPC client, the router.

/** Client errors that a retry cannot fix. */
const final = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
  "PAYLOAD_TOO_LARGE",
]);

function toSignIn(error: unknown): boolean {
  if (errorCode(error) !== "UNAUTHORIZED") return false;
  // The session ended (expired, signed out elsewhere): sign in again, then come back.
  if (!window.location.pathname.startsWith("/sign-in")) {
    const back = window.location.pathname + window.location.search;
    window.location.assign(`/sign-in?next=${encodeURIComponent(back)}`);
  }
  return true;
}

function ApiProvider({ children }: { children: ReactNode }) {
  const toast = useToast();
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: toSignIn }),
        mutationCache: new MutationCache({
          onError: (error, _variables, _context, mutation) => {
            if (toSignIn(error)) return;
            // A form that shows the error beside its fields says so with meta.inlineErrors.
            if (mutation.meta?.inlineErrors === true) return;
            toast.error(errorMessage(error));
          },
        }),
        defaultOptions: {
          queries: {
            staleTime: 30_000,
            refetchOnWindowFocus: true,
            retry: (failures, error) => failures < 2 && !final.has(errorCode(error) ?? ""),
          },
        },
      }),
  );
  const [trpcClient] = useState(createApiClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

export function App() {
  return (
    <ToastProvider>
      <ApiProvider>
        <RouterProvider router={router} />
      </ApiProvider>
    </ToastProvider>
  );
}
