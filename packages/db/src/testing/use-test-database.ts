import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase, type Database } from "../client.ts";
import type { ProcessLogin } from "../logins.ts";
// Declares what the global setup provides to inject().
import type {} from "./global-setup.ts";
import { createTestDatabase, type TestDatabase } from "./index.ts";

// Each test file: its own database (cloned from the migrated template of the global setup), the
// non-superuser connection of the process under test (the host's or the worker's own login), and a superuser pool for
// arranging rows and reading the truth behind row-level security. Shared by every package's tests.

export interface TestContext {
  database: TestDatabase;
  /**
   * The code under test's handle: connects as the test login of the process under test, the host's
   * (northstar_app, northstar_queue) or the worker's (northstar_worker, northstar_queue).
   */
  db: Database;
  /** Superuser pool: the operator's hand, never the code under test's. */
  admin: pg.Pool;
}

/** Gives the test file its own database for its lifetime; `db` connects as that login. */
export function useTestDatabase(login: ProcessLogin = "host"): () => TestContext {
  let context: TestContext | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase(inject("serverUrl"), inject("templateDatabase"));
    context = {
      database,
      db: createDatabase({ url: login === "host" ? database.hostUrl : database.workerUrl, poolSize: 4 }),
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
