import { describe, expect, test } from "vitest";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// What a distributed PostgreSQL (Citus, distributed by workspace_id) needs of the schema, checked
// here on plain PostgreSQL: every table is either a tenant table, carrying workspace_id, or one of
// the few that are not (the distribution root and the per-user tables, reference or local there);
// and a tenant table's primary key, unique constraints and foreign keys all include workspace_id,
// but for foreign keys to those per-user tables. A new table has to be placed in one of the two.

const ctx = useTestDatabase();

/** Not tenant tables: the root (workspaces, distributed by its own id) and per-user or global tables. */
const notTenantTables = ["_prisma_migrations", "billing_events", "sessions", "subscriptions", "users", "workspaces"];
/** Tables a tenant table may reference without workspace_id in the key (reference tables in Citus). */
const referenceTables = ["users"];

describe("the schema's shape for distribution by workspace_id", () => {
  test("every table carries workspace_id but the root and the per-user tables", async () => {
    const { rows } = await ctx().admin.query<{ table: string }>(
      `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped)
        ORDER BY 1`,
    );
    expect(rows.map((row) => row.table)).toEqual(notTenantTables);
  });

  test("a tenant table's keys and foreign keys include workspace_id (but those to reference tables)", async () => {
    const { rows } = await ctx().admin.query<{ constraint: string; referenced: string | null }>(
      `SELECT c.conrelid::regclass::text || '.' || c.conname AS constraint, c.confrelid::regclass::text AS referenced
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')
          AND EXISTS (SELECT FROM pg_attribute a
                       WHERE a.attrelid = t.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped)
          AND NOT EXISTS (SELECT FROM unnest(c.conkey) AS k(attnum)
                            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                           WHERE a.attname = 'workspace_id')
        ORDER BY 1`,
    );
    expect(rows.filter((row) => !referenceTables.includes(row.referenced ?? ""))).toEqual([]);
    // The exceptions are what they should be: who a membership, an invitation or an API key names.
    expect(rows.map((row) => row.constraint)).toEqual([
      "api_keys.api_keys_created_by_fkey",
      "invitations.invitations_invited_by_id_fkey",
      "workspace_users.workspace_users_user_id_fkey",
    ]);
  });

  test("unique indexes include the distribution column too (Citus asks it of indexes, not only constraints)", async () => {
    // Unique indexes made with CREATE UNIQUE INDEX (the active KPI name, a point's natural key) are
    // not constraints, so the test above does not see them. On the root the column is `id`. The
    // known exceptions are lookups before any workspace is known, which docs/scaling.md moves to
    // reference tables: a workspace by its slug, an API key by its public id (and hash).
    const { rows } = await ctx().admin.query<{ index: string }>(
      `SELECT i.indexrelid::regclass::text AS index
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND i.indisunique AND NOT t.relispartition
          AND (t.relname = 'workspaces'
               OR EXISTS (SELECT FROM pg_attribute a
                           WHERE a.attrelid = t.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped))
          AND NOT EXISTS (SELECT FROM unnest(i.indkey) AS k(attnum)
                            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                           WHERE a.attname = CASE WHEN t.relname = 'workspaces' THEN 'id' ELSE 'workspace_id' END)
        ORDER BY 1`,
    );
    expect(rows.map((row) => row.index)).toEqual([
      "api_keys_public_id_key",
      "api_keys_token_hash_key",
      "workspaces_slug_key",
    ]);
  });
});
