import { spawn } from "node:child_process";
import { constants } from "node:os";
import { openDevelopmentDatabase } from "../src/dev-database.ts";
import { prismaEnvironment } from "../src/env.ts";
import { packageRoot, prismaCli } from "../src/server.ts";

// The Prisma CLI against the development database: `node scripts/prisma.ts migrate deploy`.
// DATABASE_URL when set, else the embedded server (started, or reused when already running).
// Migrations are left to the command itself; its exit code becomes this script's.

const database = await openDevelopmentDatabase({ migrate: false });
try {
  process.exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli(), ...process.argv.slice(2)], {
      cwd: packageRoot,
      stdio: "inherit",
      env: prismaEnvironment(database.url),
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
} finally {
  await database.close();
}
