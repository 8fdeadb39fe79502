import pg from "pg";
import { type DatabaseServer, databaseUrlWith, migrate, startDevelopmentServer } from "./server.ts";

// What the scripts (dev, db:deploy, db:seed, db:reset, db:generate-data) connect to: the server
// in DATABASE_URL when set, else the embedded development server and its `northstar` database.

export interface DevelopmentDatabase {
  /** Owner (migration) URL of the database. */
  url: string;
  /** True for the embedded development server (started here, or reused from another process). */
  embedded: boolean;
  close(): Promise<void>;
}

async function ensureDatabaseExists(server: DatabaseServer, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.urlFor("postgres") });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function openDevelopmentDatabase(options: { migrate: boolean }): Promise<DevelopmentDatabase> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    if (options.migrate) await migrate(configured);
    return { url: configured, embedded: false, close: () => Promise.resolve() };
  }
  const server = await startDevelopmentServer();
  const url = databaseUrlWith(server.urlFor("postgres"), "northstar");
  try {
    await ensureDatabaseExists(server, "northstar");
    if (options.migrate) await migrate(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  // Stops the server only when this process started it (see startDevelopmentServer).
  return { url, embedded: true, close: () => server.stop() };
}
