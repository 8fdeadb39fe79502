import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { apiKeyRouter } from "./routers/api-key.ts";
import { goalRouter } from "./routers/goal.ts";
import { importRouter } from "./routers/import.ts";
import { integrationRouter } from "./routers/integration.ts";
import { kpiRouter } from "./routers/kpi.ts";
import { meRouter } from "./routers/me.ts";
import { subscriptionRouter } from "./routers/subscription.ts";
import { workspaceRouter } from "./routers/workspace.ts";
import { createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  me: meRouter,
  workspace: workspaceRouter,
  kpi: kpiRouter,
  import: importRouter,
  goal: goalRouter,
  integration: integrationRouter,
  subscription: subscriptionRouter,
  apiKey: apiKeyRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
