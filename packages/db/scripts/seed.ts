// pnpm db:seed: migrates the development database (DATABASE_URL, or the embedded server), then
// writes the development data. Safe to run again: a second run writes nothing.
import { openDevelopmentDatabase } from "../src/dev-database.ts";
import { formatSeedSummary, seed } from "../src/seed.ts";

async function main(): Promise<void> {
  const database = await openDevelopmentDatabase({ migrate: true });
  try {
    console.log(formatSeedSummary(await seed(database.url)));
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error("db:seed failed:", error);
  // exit(), not exitCode: whatever a failure left open (a connection, a server) must not keep us alive.
  process.exit(1);
});
