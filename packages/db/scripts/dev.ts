import pg from "pg";
import { openDevelopmentDatabase } from "../src/dev-database.ts";
import { formatSeedSummary, seed } from "../src/seed.ts";

// `pnpm dev` until the API and the web app exist: the development database (DATABASE_URL, or the
// embedded server under .northstar/), migrated, seeded when empty, kept up until Ctrl-C or SIGTERM.

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

/** The URL to print: the embedded server's well-known password is shown, a configured one is not. */
function printable(url: string, embedded: boolean): string {
  const shown = new URL(url);
  if (!embedded && shown.password) shown.password = "***";
  return shown.toString();
}

const database = await openDevelopmentDatabase({ migrate: true });
try {
  if (await isEmpty(database.url)) console.log(formatSeedSummary(await seed(database.url)));
  else console.log("The database already holds data; `pnpm db:seed` refreshes the development data.");
} catch (error) {
  await database.close();
  throw error;
}

const where = database.embedded ? "embedded PostgreSQL, data in .northstar/postgres" : "DATABASE_URL";
console.log(`\nDevelopment database ready (${where}):\n  ${printable(database.url, database.embedded)}\nPress Ctrl-C to quit.`);

// Nothing else keeps the process alive when the server belongs to DATABASE_URL or another process.
const keepAlive = setInterval(() => undefined, 2 ** 30);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    clearInterval(keepAlive);
    console.log(`\n${signal}: closing the development database.`);
    database.close().then(
      () => {
        console.log("Closed.");
      },
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  });
}
