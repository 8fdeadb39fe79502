import { serve } from "@hono/node-server";
import { createDatabase, errorSummary } from "@northstar/db";
import type { DevelopmentDatabase } from "@northstar/db/dev-database";
import { pino } from "pino";
import { createApp } from "./app.ts";
import { startJobSender } from "./jobs.ts";
import { readEnv } from "./env.ts";
import { createShutdown } from "./shutdown.ts";

// The host process: settings, database, HTTP server, and an orderly stop on SIGTERM/SIGINT.

const env = readEnv();
const logger = pino({ level: env.logLevel, base: { service: "northstar-web" } });

// Outside production, `pnpm dev`: the development database (DATABASE_URL, or the embedded one
// under .northstar/), migrated, and seeded when empty, reached through the host's own development
// login (created there). Production migrates with `pnpm db:deploy` and sets APP_DATABASE_URL.
// Imported only here: it brings embedded PostgreSQL, which production neither installs nor loads.
let development: DevelopmentDatabase | null = null;
let developmentHostUrl: string | null = null;
if (!env.production) {
  const { openDevelopmentDatabase, openDevelopmentLogins } = await import("@northstar/db/dev-database");
  development = await openDevelopmentDatabase({ migrate: true, seedIfEmpty: true });
  if (!env.database) developmentHostUrl = (await openDevelopmentLogins(development.url)).hostUrl;
}
const databaseOptions = env.database ?? (developmentHostUrl ? { url: developmentHostUrl } : null);
if (!databaseOptions) throw new Error("APP_DATABASE_URL is required in production");
const database = createDatabase({
  ...databaseOptions,
  // An idle pooled connection the server drops (restart, the dev database stopping first) is
  // replaced by the pool; worth a line in the log.
  onIdleConnectionError: (error) => {
    logger.warn(errorSummary(error), "an idle database connection failed");
  },
});

// "Sync now" sends a job to the worker's queue (pg-boss, in this same database).
const jobSender = await startJobSender(databaseOptions.url, logger);

// Development: the client from source through Vite, mounted in this same server.
const clientDevServer = env.production
  ? null
  : await import("./vite-dev.ts").then((module) => module.createClientDevServer());

const app = createApp({
  database,
  auth: env.auth,
  credentialsKeyring: env.credentialsKeyring,
  jobs: jobSender.jobs,
  billing: env.billing,
  logger,
  clientDir: env.production ? env.clientDir : null,
  clientDevServer,
  trustedProxyHops: env.trustedProxyHops,
  rateLimits: env.rateLimits,
  overload: env.overload,
  chartCacheBytes: env.chartCacheBytes,
});

const server = serve({ fetch: app.fetch, port: env.port, hostname: env.host }, (info) => {
  const host = info.address.includes(":") ? `[${info.address}]` : info.address;
  logger.info(
    {
      address: info.address,
      port: info.port,
      publicUrl: env.publicUrl,
      developmentSignIn: env.auth.developmentSignIn === true,
    },
    `Northstar listening on http://${host}:${info.port} (public URL ${env.publicUrl})`,
  );
});

const shutdown = createShutdown({
  server,
  logger,
  resources: [
    ...(clientDevServer ? [{ name: "vite dev server", close: () => clientDevServer.close() }] : []),
    { name: "job sender", close: () => jobSender.close() },
    { name: "database pool", close: () => database.close() },
    ...(development ? [{ name: "development database", close: () => development.close() }] : []),
  ],
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void shutdown(signal).then(() => {
      process.exit(process.exitCode ?? 0);
    });
  });
}
