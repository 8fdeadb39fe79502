import path from "node:path";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, test } from "vitest";
import { repositoryRoot } from "../src/server.ts";

// The fences that keep roles and raw SQL in packages/db, run through ESLint's own API on code that
// breaks them. The code is text in this file, linted as if it lived at the given path, so no
// fixture file ever enters the normal lint run (and packages/db, where this test lives, is the one
// place the SQL fence allows what these snippets spell).

// The real configs, without type information (these rules need none; a virtual file has no project).
const eslint = new ESLint({ cwd: repositoryRoot, overrideConfig: tseslint.configs.disableTypeChecked });

/** The rule ids ESLint reports for `code` as the file at `file` (relative to the repository), once each. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repositoryRoot, file) });
  const fatal = result?.messages.find((message) => message.fatal);
  if (fatal) throw new Error(`${file} did not parse: ${fatal.message}`);
  return [...new Set((result?.messages ?? []).map((message) => message.ruleId ?? "none"))].sort();
}

describe("packages/api/src imports from an allow-list", () => {
  const forbidden = [
    'import pg from "pg";',
    'import { PrismaClient } from "@prisma/client";',
    'import { createDatabase } from "@northstar/db";',
    'import { openDevelopmentDatabase } from "@northstar/db/dev-database";',
    'import { generateData } from "@northstar/db/generate";',
    'import { createQueueClient } from "@northstar/db/queue";',
    'import { migrate } from "@northstar/db/server";',
    'import { useTestDatabase } from "@northstar/db/testing/vitest";',
    'import { createDatabase } from "../../../db/src/client.ts";',
    'export { createDatabase } from "@northstar/db";',
    'import { spawn } from "node:child_process";',
  ];

  test.each(["src/routers/fence.ts", "src/kpi/fence.ts", "src/goal/fence.ts", "src/plans-fence.ts"])(
    "%s: every import outside the list is refused",
    async (file) => {
      for (const line of forbidden)
        expect(await violations(`packages/api/${file}`, `${line}\nexport const x = 1;\n`), line).toContain(
          "no-restricted-imports",
        );
      expect(
        await violations(`packages/api/${file}`, 'export async function load() {\n  return import("pg");\n}\n'),
      ).toContain("no-restricted-syntax");
    },
  );

  test("what handlers need passes", async () => {
    const allowed = [
      'import { z } from "zod";',
      'import { TRPCError } from "@trpc/server";',
      'import { queryRows, type ScopedDb, sql } from "@northstar/db";',
      'import { can } from "@northstar/core/permissions";',
      'import { readCsvBatches } from "@northstar/core/csv/read";',
      'import { workspaceProcedure } from "../trpc.ts";',
      'import { kpiListQuery } from "../kpi/list.ts";',
      'import { toTRPCError } from "./errors.ts";',
    ];
    const uses =
      "export const used = [z, TRPCError, queryRows, sql, can, workspaceProcedure, kpiListQuery, toTRPCError, readCsvBatches];";
    expect(
      await violations(
        "packages/api/src/routers/fence.ts",
        `${allowed.join("\n")}\n${uses}\nexport type T = ScopedDb;\n`,
      ),
    ).toEqual([]);
  });

  test("trpc.ts and auth/ build the context, so they are outside the list; nothing else is", async () => {
    const importsPg = 'import pg from "pg";\nexport const p = pg;\n';
    expect(await violations("packages/api/src/trpc.ts", importsPg)).toEqual([]);
    expect(await violations("packages/api/src/auth/fence.ts", importsPg)).toEqual([]);
    expect(await violations("packages/api/src/trpc-fence.ts", importsPg)).toEqual(["no-restricted-imports"]);
  });
});

describe("outside packages/db: no unsafe raw SQL, no role or context settings", () => {
  const breaches = [
    'export const run = (db: { $queryRawUnsafe(q: string): unknown }) => db.$queryRawUnsafe("SELECT 1");',
    'export const run = (db: { $executeRawUnsafe(q: string): unknown }) => db.$executeRawUnsafe("SELECT 1");',
    'export const run = (db: Record<string, unknown>) => db["$queryRawUnsafe"];',
    "export const grab = ({ $executeRawUnsafe }: { $executeRawUnsafe: unknown }) => $executeRawUnsafe;",
    "export const q = \"SELECT set_config('role', 'northstar_worker', true)\";",
    "export const q = \"SELECT set_config('app.workspace_id', $1, true)\";",
    "export const q = (role: string) => `SET LOCAL ROLE ${role}`;",
    'export const q = "set role northstar_app";',
    'export const q = "RESET ROLE";',
    'export const q = "SET SESSION AUTHORIZATION postgres";',
    'export const url = "postgresql://x@db/northstar?options=-c role=northstar_worker";',
  ];

  test.each([
    "apps/worker/src/fence.ts",
    "apps/web/server/fence.ts",
    "apps/web/test/fence.test.ts",
    "packages/api/src/routers/fence.ts",
    "packages/api/src/auth/fence.ts",
  ])("%s: each is refused", async (file) => {
    for (const line of breaches) expect(await violations(file, line), line).toEqual(["no-restricted-syntax"]);
  });

  test("trpc.ts may set the context user from the session row, but never a role", async () => {
    const file = "packages/api/src/trpc.ts";
    expect(await violations(file, "export const q = \"SELECT set_config('app.user_id', $1, true)\";")).toEqual([]);
    expect(await violations(file, "export const q = \"SELECT set_config('role', 'northstar_worker', true)\";")).toEqual(
      ["no-restricted-syntax"],
    );
  });

  test("packages/db, where roles and context are set, may", async () => {
    for (const line of breaches) expect(await violations("packages/db/src/fence.ts", line), line).toEqual([]);
  });
});
