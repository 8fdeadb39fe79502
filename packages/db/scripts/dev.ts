import { openDevelopmentDatabase } from "../src/dev-database.ts";

// `pnpm --filter @northstar/db db:dev`: the development database alone (DATABASE_URL, or the
// embedded server under .northstar/), migrated, seeded when empty, kept up until Ctrl-C or SIGTERM.
// `pnpm dev` at the root runs the web host, which opens the same database the same way.

/** The URL to print: the embedded server's well-known password is shown, a configured one is not. */
function printable(url: string, embedded: boolean): string {
  const shown = new URL(url);
  if (!embedded && shown.password) shown.password = "***";
  return shown.toString();
}

const database = await openDevelopmentDatabase({ migrate: true, seedIfEmpty: true });

const where = database.embedded ? "embedded PostgreSQL, data in .northstar/postgres" : "DATABASE_URL";
console.log(
  `\nDevelopment database ready (${where}):\n  ${printable(database.url, database.embedded)}\nPress Ctrl-C to quit.`,
);

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
