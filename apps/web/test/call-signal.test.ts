import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { initTRPC } from "@trpc/server";
import { afterEach, expect, test, vi } from "vitest";

// tRPC hands each procedure a signal that ends when the request's does (a client that hangs up).
// It combines the two with its own ponyfill, which this repository patches
// (patches/@trpc__server@11.22.1.patch) to use listeners instead of Node's AbortSignal.any: those
// keep every request's signals behind weak references that only a full collection clears, and
// under load the host promoted them by the megabyte (the API benchmark's kpi.series). These tests
// keep both halves true: the abort still arrives, and the native combinator is not called.

const t = initTRPC.create();

afterEach(() => {
  vi.restoreAllMocks();
});

function handle(router: Parameters<typeof fetchRequestHandler>[0]["router"], signal: AbortSignal) {
  return fetchRequestHandler({
    endpoint: "/trpc",
    req: new Request("http://localhost/trpc/wait", { signal }),
    router,
    createContext: () => ({}),
  });
}

test("a procedure's signal ends when its request's does", async () => {
  let arrived: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const router = t.router({
    wait: t.procedure.query(
      ({ signal }) =>
        new Promise<string>((resolve) => {
          signal?.addEventListener(
            "abort",
            () => {
              resolve("aborted");
            },
            { once: true },
          );
          arrived();
        }),
    ),
  });
  const client = new AbortController();
  const answer = handle(router, client.signal);
  await running;
  client.abort();
  // The call ended because of the abort (it would wait forever otherwise); what tRPC answers a
  // client that has gone is its own business.
  await answer;
});

test("combining a request's signals does not use Node's AbortSignal.any", async () => {
  const any = vi.spyOn(AbortSignal, "any");
  const router = t.router({ wait: t.procedure.query(() => "done") });
  const response = await handle(router, new AbortController().signal);
  expect(await response.json()).toEqual({ result: { data: "done" } });
  expect(any).not.toHaveBeenCalled();
});
