import { randomBytes } from "node:crypto";
import { afterAll, expect, inject, test } from "vitest";
import { ensureDatabaseExists } from "../src/dev-database.ts";
import { databaseUrlWith } from "../src/server.ts";
import { dropDatabase } from "../src/testing/index.ts";

// `pnpm dev` starts the host and the worker side by side on a fresh machine, and each makes sure
// the development database exists: whichever creates it, the other must carry on.

const serverUrl = inject("serverUrl");
const name = `northstar_dev_race_${randomBytes(4).toString("hex")}`;

afterAll(async () => {
  await dropDatabase(serverUrl, name);
});

test("several processes making sure of one new database at once all succeed, and it exists", async () => {
  const server = { urlFor: (database: string) => databaseUrlWith(serverUrl, database) };
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => ensureDatabaseExists(server, name)));
  expect(results.map((result) => result.status)).toEqual(Array(6).fill("fulfilled"));
  await ensureDatabaseExists(server, name);
});
