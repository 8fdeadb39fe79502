import pg from "pg";
import { configuredDatabaseUrl } from "./env.ts";
import { formatSeedSummary, seed } from "./seed.ts";
import { type DatabaseServer, databaseUrlWith, migrate, startDevelopmentServer } from "./server.ts";

// What the development tools (`pnpm dev`'s host and worker, db:dev, db:migrate, db:deploy, db:seed,
// db:reset, db:generate-data) connect to: the server in DATABASE_URL when set, else the embedded
// development server and its `northstar` database.

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

async function isEmpty(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ empty: boolean }>("SELECT NOT EXISTS (SELECT FROM users) AS empty");
    return result.rows[0]?.empty ?? true;
  } finally {
    await client.end();
  }
}

export interface DevelopmentDatabaseOptions {
  migrate: boolean;
  /** Writes the development data (src/seed.ts) when the database has no user yet. */
  seedIfEmpty?: boolean;
}

export async function openDevelopmentDatabase(options: DevelopmentDatabaseOptions): Promise<DevelopmentDatabase> {
  const configured = configuredDatabaseUrl();
  const server = configured ? undefined : await startDevelopmentServer();
  const url = server ? databaseUrlWith(server.urlFor("postgres"), "northstar") : (configured ?? "");
  try {
    if (server) await ensureDatabaseExists(server, "northstar");
    if (options.migrate) await migrate(url);
    if (options.seedIfEmpty && (await isEmpty(url))) console.log(formatSeedSummary(await seed(url)));
  } catch (error) {
    await server?.stop();
    throw error;
  }
  // Stops the server only when this process started it (see startDevelopmentServer).
  return { url, embedded: server !== undefined, close: () => server?.stop() ?? Promise.resolve() };
}
