import type { Database } from "@northstar/db";
import type { Billing } from "../src/billing/config.ts";
import { appRouter } from "../src/root.ts";
import { createCallerFactory, createTRPCContext } from "../src/trpc.ts";
import { type ApiTestContext, createUser, signIn } from "./support.ts";

// Callers whose context carries a billing setting (Stripe through a stand-in, or billing off).

const createCaller = createCallerFactory(appRouter);

export function billingCaller(database: Database, token: string, billing: Billing | null, clock?: () => Date) {
  return createCaller(
    createTRPCContext({
      database,
      sessionToken: token,
      secureCookies: false,
      ...(billing ? { billing } : {}),
      ...(clock ? { clock } : {}),
    }),
  );
}

/** A signed-in user whose caller carries `billing`. */
export async function billedUser(ctx: ApiTestContext, name: string, billing: Billing | null) {
  const user = await createUser(ctx.admin, name);
  const token = await signIn(ctx.db, user.id);
  return { ...user, token, caller: billingCaller(ctx.db, token, billing) };
}
