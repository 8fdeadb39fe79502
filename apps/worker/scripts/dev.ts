import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { openDevelopmentDatabase, openDevelopmentLogins } from "@northstar/db/dev-database";
import { developmentEnvironment } from "../src/env.ts";

// `pnpm dev` (turbo runs it beside apps/web's dev): the worker against the development database,
// restarted on change. The database is DATABASE_URL, or the embedded server under .northstar/
// that apps/web's dev also opens (whichever starts first starts it; the other reuses it), migrated
// before the worker starts. Seeding is left to apps/web's dev.

const database = await openDevelopmentDatabase({ migrate: true });
const logins = await openDevelopmentLogins(database.url);
// tsx watch, like apps/web's dev: restarts on changes to the workspace's sources, not node_modules.
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const child = spawn(process.execPath, [tsxCli, "watch", "--clear-screen=false", "src/main.ts"], {
  stdio: "inherit",
  env: developmentEnvironment(logins.workerUrl),
});

let closing = false;
async function close(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  await database.close();
  process.exit(code);
}
child.once("exit", (code) => void close(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    child.kill(signal);
  });
}
