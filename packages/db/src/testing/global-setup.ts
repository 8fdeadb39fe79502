import type { TestProject } from "vitest/node";
import { configuredDatabaseUrl } from "../env.ts";
import { type DatabaseServer, databaseUrlWith, migrate, startThrowawayServer } from "../server.ts";
import { createDatabaseFromTemplate, dropDatabase, ensureTestLogin } from "./index.ts";

// Vitest global setup: one PostgreSQL per test run (the one in DATABASE_URL, or a throwaway
// embedded one), one migrated template database; test files clone it (see createTestDatabase).

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = configuredDatabaseUrl();
  let server: DatabaseServer | undefined;
  let serverUrl: string;
  if (configured) {
    serverUrl = databaseUrlWith(configured, "postgres");
  } else {
    server = await startThrowawayServer();
    serverUrl = server.urlFor("postgres");
  }
  const template = `northstar_template_${process.pid}`;
  const staging = `${template}_staging`;
  await dropDatabase(serverUrl, template);
  await dropDatabase(serverUrl, staging);
  // Migrate a staging database, then freeze it as the template nobody connects to.
  await createDatabaseFromTemplate(serverUrl, "template0", staging);
  await migrate(databaseUrlWith(serverUrl, staging));
  await createDatabaseFromTemplate(serverUrl, staging, template);
  await dropDatabase(serverUrl, staging);
  await ensureTestLogin(serverUrl);
  project.provide("serverUrl", serverUrl);
  project.provide("templateDatabase", template);
  return async () => {
    await dropDatabase(serverUrl, template);
    await server?.stop();
  };
}
