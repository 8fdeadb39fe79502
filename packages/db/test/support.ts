import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase, type Database } from "../src/client.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

export interface TestContext {
  database: TestDatabase;
  /** The code under test's handle: connects as the non-superuser test login. */
  db: Database;
  /** Superuser connection for arranging fixtures and reading the truth behind RLS. */
  admin: pg.Pool;
}

/** Gives the test file its own database for its lifetime. */
export function useTestDatabase(): () => TestContext {
  let context: TestContext | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase(inject("serverUrl"), inject("templateDatabase"));
    context = {
      database,
      db: createDatabase({ url: database.appUrl, poolSize: 4 }),
      admin: new pg.Pool({ connectionString: database.adminUrl, max: 2 }),
    };
  });
  afterAll(async () => {
    if (!context) return;
    await context.db.close();
    await context.admin.end();
    await context.database.drop();
  });
  return () => {
    if (!context) throw new Error("the test database is not ready yet (use it inside a test or hook)");
    return context;
  };
}
