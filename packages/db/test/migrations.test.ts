import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { expect, inject, test } from "vitest";
import { databaseUrlWith, migrate, packageRoot, prismaCli } from "../src/server.ts";
import { createDatabaseFromTemplate, dropDatabase } from "../src/testing/index.ts";

// The migrations are the schema: they must reproduce schema.prisma exactly, apply from zero on a
// cluster where the roles already exist, and leave `prisma migrate status` clean.

const run = promisify(execFile);

function prisma(args: string[], url: string) {
  return run(process.execPath, [prismaCli(), ...args], {
    cwd: packageRoot,
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
}

async function withEmptyDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const serverUrl = inject("serverUrl");
  const name = `northstar_migrate_${randomBytes(5).toString("hex")}`;
  await createDatabaseFromTemplate(serverUrl, "template0", name);
  try {
    return await work(databaseUrlWith(serverUrl, name));
  } finally {
    await dropDatabase(serverUrl, name);
  }
}

test("the migrations reproduce schema.prisma exactly (no drift)", async () => {
  // Uses a shadow database on the same server to replay the migrations.
  const { stdout } = await prisma(
    [
      "migrate",
      "diff",
      "--from-migrations",
      "prisma/migrations",
      "--to-schema-datamodel",
      "prisma/schema.prisma",
      "--exit-code",
    ],
    databaseUrlWith(inject("serverUrl"), "postgres"),
  );
  expect(stdout).toContain("No difference detected");
});

test("migrating from zero where the roles already exist works, twice, and status is clean", async () => {
  await withEmptyDatabase(async (url) => {
    await migrate(url);
    await migrate(url);
    const { stdout } = await prisma(["migrate", "status"], url);
    expect(stdout).toContain("Database schema is up to date");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const applied = await client.query(
        "SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      );
      const directories = (await readdir(path.join(packageRoot, "prisma/migrations"), { withFileTypes: true })).filter(
        (entry) => entry.isDirectory(),
      );
      expect(applied.rows[0]).toEqual({ n: directories.length });
    } finally {
      await client.end();
    }
  });
});
