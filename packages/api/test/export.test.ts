import { seed, seededUserIds, seededWorkspaceIds } from "@northstar/db/seed";
import { operatorTransaction } from "@northstar/db/testing";
import { unzipSync } from "fflate";
import Papa from "papaparse";
import { beforeAll, describe, expect, test } from "vitest";
import { exportPageSize, tablePages } from "../src/export/read.ts";
import { exportTables } from "../src/export/tables.ts";
import { type ExportFormat, openWorkspaceExport } from "../src/export/open.ts";
import { createTRPCContext } from "../src/trpc.ts";
import { createUser, createWorkspace, expectCode, signIn, useApiDatabase } from "./support.ts";

// The workspace export is complete and holds nothing else: on the seeded database, topped up so
// that BOTH workspaces have rows in every table with a workspace_id (found in the catalogue, so a
// table added later fails here until the export covers it), the owner's export of one workspace
// holds every row of it (compared by primary key, per table, in JSON and in the CSV archive) with
// every column but the few it names as left out, no row of the other, no secret column and no
// sealed credential. Only an owner may export; an owner
// demoted mid-download gets an error, not a short file; an over-limit workspace still exports.

const ctx = useApiDatabase();
const acme = seededWorkspaceIds.acme;
const globex = seededWorkspaceIds.globex;
const ada = seededUserIds.ada; // owns Acme, MEMBER of Globex
const grace = seededUserIds.grace; // ADMIN of Acme

type Cell = string | number | boolean | null | Record<string, unknown> | unknown[];
type Tables = Record<string, Record<string, Cell>[]>;

interface CatalogueTable {
  table: string;
  primaryKey: string[];
  /** format_type of each key column, in the same order. */
  primaryKeyTypes: string[];
}

/** Derived from other tables and rebuilt from them (exportNotes says so): not the workspace's data. */
const derivedTables = ["kpi_data_versions", "kpi_rollups_daily", "kpi_rollups_hourly"];

/** Every table of the public schema with a workspace_id column but the derived ones, and its primary key's columns. */
async function tenantTables(): Promise<CatalogueTable[]> {
  const { rows } = await ctx().admin.query<{ table: string; primary_key: string[]; primary_key_types: string[] }>(
    `SELECT c.relname AS table,
            array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.n) AS primary_key,
            array(SELECT format_type(a.atttypid, NULL) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.n) AS primary_key_types
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped)
      ORDER BY 1`,
  );
  return rows
    .filter((row) => !derivedTables.includes(row.table))
    .map((row) => ({ table: row.table, primaryKey: row.primary_key, primaryKeyTypes: row.primary_key_types }));
}

/** Primary keys of one workspace's rows of `table`, as the operator sees them (past row-level security). */
async function keysOf(table: CatalogueTable, workspaceId: string): Promise<string[]> {
  // As the export writes them: text, and timestamps (kpi_data_points' key has one) as JSON's ISO form.
  const key = table.primaryKey
    .map((column, index) =>
      table.primaryKeyTypes[index] === "timestamp with time zone"
        ? `to_char("${column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
        : `"${column}"::text`,
    )
    .join(` || '/' || `);
  const { rows } = await ctx().admin.query<{ key: string }>(
    `SELECT ${key} AS key FROM "${table.table}" WHERE workspace_id = $1`,
    [workspaceId],
  );
  return rows.map((row) => row.key).sort();
}

function cellText(cell: Cell | undefined): string {
  return typeof cell === "string" ? cell : JSON.stringify(cell);
}

function keyOfRow(table: CatalogueTable, row: Record<string, Cell>): string {
  return table.primaryKey.map((column) => cellText(row[column])).join("/");
}

async function download(userId: string, workspaceId: string, format: ExportFormat): Promise<Buffer> {
  const opened = await openWorkspaceExport(
    createTRPCContext({ database: ctx().db, sessionToken: await signIn(ctx().db, userId), secureCookies: false }),
    { workspaceId, format },
  );
  const chunks: Uint8Array[] = [];
  for await (const chunk of opened.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function tablesFromJson(bytes: Buffer): { header: Record<string, unknown>; tables: Tables } {
  const document = JSON.parse(bytes.toString("utf8")) as Record<string, unknown> & { tables: Tables };
  const { tables, ...header } = document;
  return { header, tables };
}

function tablesFromZip(bytes: Buffer): { readme: string; tables: Tables } {
  const files = unzipSync(new Uint8Array(bytes));
  const tables: Tables = {};
  let readme = "";
  for (const [name, content] of Object.entries(files)) {
    const text = Buffer.from(content).toString("utf8");
    if (name === "README.txt") {
      readme = text;
      continue;
    }
    expect(name).toMatch(/^[a-z_]+\.csv$/);
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(parsed.errors, name).toEqual([]);
    tables[name.replace(/\.csv$/, "")] = parsed.data;
  }
  return { readme, tables };
}

/** Every row of the other workspace, by id: none may appear anywhere in an export of this one. */
async function rowIdsOf(tables: CatalogueTable[], workspaceId: string): Promise<string[]> {
  const ids: string[] = [workspaceId];
  for (const table of tables) {
    const { rows } = await ctx().admin.query<{ id: string }>(
      `SELECT id::text AS id FROM "${table.table}" WHERE workspace_id = $1`,
      [workspaceId],
    );
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** Secret columns anywhere in the schema: binary ones (sealed credentials, token hashes) and tokens. */
async function secretColumns(): Promise<string[]> {
  const { rows } = await ctx().admin.query<{ column: string }>(
    `SELECT DISTINCT a.attname::text AS column
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND (a.atttypid = 'bytea'::regtype OR a.attname ~ '(token|secret|password|credentials)')`,
  );
  return rows.map((row) => row.column).sort();
}

/** A row in every tenant table the seed leaves empty (invitations, sync runs), for both workspaces. */
async function topUp(workspaceId: string): Promise<void> {
  await operatorTransaction(ctx().admin, async (client) => {
    await client.query(
      `INSERT INTO invitations (workspace_id, email, role, expires_at) VALUES ($1, $2, 'VIEWER', now() + interval '7 days')`,
      [workspaceId, `invitee-${workspaceId.slice(-4)}@example.com`],
    );
    await client.query(
      `INSERT INTO api_keys (workspace_id, name, public_id, token_hash, scopes, created_by)
       SELECT workspace_id, 'Export test', substr(md5($1), 1, 12), sha256(convert_to($1, 'UTF8')), '{read}', user_id
         FROM workspace_users WHERE workspace_id = $1::uuid AND role = 'OWNER' LIMIT 1`,
      [workspaceId],
    );
    await client.query(
      `INSERT INTO sync_runs (workspace_id, integration_id, status, finished_at, points_written)
       SELECT workspace_id, id, 'SUCCEEDED', now(), 3 FROM integrations WHERE workspace_id = $1`,
      [workspaceId],
    );
  });
}

let catalogue: CatalogueTable[] = [];

beforeAll(async () => {
  await seed(ctx().database.adminUrl);
  await topUp(acme);
  await topUp(globex);
  catalogue = await tenantTables();
});

describe("an owner's export", () => {
  test("both workspaces have rows in every table with a workspace_id (else the test below proves little)", async () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(9);
    for (const table of catalogue) {
      for (const workspaceId of [acme, globex]) {
        const keys = await keysOf(table, workspaceId);
        expect(keys.length, `${table.table} has no row of ${workspaceId}: give it one in topUp`).toBeGreaterThan(0);
      }
    }
  });

  test.each(["json", "zip"] as const)(
    "%s: every row of the workspace by primary key, per table; nothing of the other; no secret",
    async (format) => {
      const bytes = await download(ada, acme, format);
      const text = bytes.toString("latin1");
      const { tables } = format === "json" ? tablesFromJson(bytes) : tablesFromZip(bytes);

      for (const table of catalogue) {
        const exported = tables[table.table];
        expect(exported, `the export has no ${table.table}`).toBeDefined();
        const keys = (exported ?? []).map((row) => keyOfRow(table, row)).sort();
        // Equal lists: every row, none twice, none of another workspace.
        expect(keys, table.table).toEqual(await keysOf(table, acme));
      }
      expect(tables.workspaces?.map((row) => row.id)).toEqual([acme]);
      const { rows: subscriptions } = await ctx().admin.query<{ id: string }>(
        "SELECT id::text AS id FROM subscriptions WHERE user_id = $1 ORDER BY id",
        [ada],
      );
      expect(subscriptions.length).toBeGreaterThan(0);
      expect(tables.subscriptions?.map((row) => row.id)).toEqual(subscriptions.map((row) => row.id));
      // Members carry their users' public fields.
      const member = tables.workspace_users?.find((row) => row.user_id === grace);
      expect(member).toMatchObject({ user_name: "Grace Hopper", user_email: "grace@example.com", role: "ADMIN" });

      // Not one id of the other workspace's rows (its own id included), anywhere in the file.
      if (format === "json") for (const id of await rowIdsOf(catalogue, globex)) expect(text).not.toContain(id);
      else {
        const all = JSON.stringify(tables);
        for (const id of await rowIdsOf(catalogue, globex)) expect(all).not.toContain(id);
      }

      // No secret column, and not one sealed credential's bytes in any spelling.
      const secrets = await secretColumns();
      expect(secrets).toContain("credentials");
      for (const rows of Object.values(tables))
        for (const column of Object.keys(rows[0] ?? {})) expect(secrets, column).not.toContain(column);
      const { rows: sealed } = await ctx().admin.query<{ credentials: Buffer }>(
        "SELECT credentials FROM integrations WHERE workspace_id = $1 AND credentials IS NOT NULL",
        [acme],
      );
      expect(sealed.length).toBeGreaterThan(0);
      const decoded = format === "json" ? text : JSON.stringify(tables);
      for (const { credentials } of sealed) {
        expect(decoded).not.toContain(credentials.toString("hex"));
        expect(decoded).not.toContain(credentials.toString("base64"));
        expect(decoded).not.toContain(credentials.subarray(0, 24).toString("base64"));
      }
    },
  );

  test("the JSON document says what it is and what it leaves out; the archive's README says the same", async () => {
    const { header } = tablesFromJson(await download(ada, acme, "json"));
    expect(header).toMatchObject({
      format: "northstar.workspace-export",
      version: 1,
      workspace: { id: acme, slug: "acme" },
      exportedBy: ada,
    });
    expect(JSON.stringify(header.notes)).toContain("credentials are not in this export");
    const { readme, tables } = tablesFromZip(await download(ada, acme, "zip"));
    expect(readme).toContain("credentials are not in this export");
    // The CSV header rows are the JSON header's columns, also for an empty table.
    expect(Object.keys(tables).sort()).toEqual(Object.keys(header.columns as object).sort());
  });

  test("every column of every table, but the ones the export says it leaves out", async () => {
    // Named in the export's notes (tables.ts): sealed credentials and the worker's bookkeeping.
    const omitted: Record<string, string[]> = {
      integrations: ["credentials", "credentials_key_id", "lease_token", "lease_expires_at", "sync_cursor"],
      api_keys: ["token_hash"],
    };
    const { header } = tablesFromJson(await download(ada, acme, "json"));
    const exported = header.columns as Record<string, string[]>;
    for (const table of catalogue) {
      const { rows } = await ctx().admin.query<{ column: string }>(
        `SELECT attname::text AS column FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [`public."${table.table}"`],
      );
      const expected = rows.map((row) => row.column).filter((column) => !omitted[table.table]?.includes(column));
      expect(exported[table.table]?.filter((column) => expected.includes(column)).sort(), table.table).toEqual(
        expected.sort(),
      );
    }
  });

  test("pages in id order add up to the whole table, each row once", async () => {
    const read = ctx().db.reader({ userId: ada, workspaceId: acme });
    const points = exportTables(acme).find((table) => table.name === "kpi_data_points");
    if (!points) throw new Error("no kpi_data_points in the export");
    const ids: string[] = [];
    let pages = 0;
    for await (const rows of tablePages(read, points, 997)) {
      pages += 1;
      ids.push(...rows.map((row) => (typeof row.id === "string" ? row.id : "not text")));
    }
    const { rows } = await ctx().admin.query<{ id: string }>(
      "SELECT id::text AS id FROM kpi_data_points WHERE workspace_id = $1 ORDER BY id",
      [acme],
    );
    expect(rows.length).toBeGreaterThan(997 * 2);
    expect(pages).toBe(Math.ceil(rows.length / 997));
    expect(ids).toEqual(rows.map((row) => row.id));
    expect(exportPageSize).toBeGreaterThan(997);
  });
});

describe("who may export", () => {
  test("an admin, a member and a viewer are refused with a message; a non-member learns nothing; no session: sign in", async () => {
    const [admin, member, viewer, outsider, owner] = await Promise.all(
      ["Export admin", "Export member", "Export viewer", "Export outsider", "Export owner"].map((name) =>
        createUser(ctx().admin, name),
      ),
    );
    if (!admin || !member || !viewer || !outsider || !owner) throw new Error("users missing");
    const workspace = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [admin.id, "ADMIN"],
      [member.id, "MEMBER"],
      [viewer.id, "VIEWER"],
    ]);
    const open = async (userId: string | null) =>
      openWorkspaceExport(
        createTRPCContext({
          database: ctx().db,
          sessionToken: userId === null ? null : await signIn(ctx().db, userId),
          secureCookies: false,
        }),
        { workspaceId: workspace.id, format: "json" },
      );
    for (const user of [admin, member, viewer]) {
      const error = await expectCode(open(user.id), "FORBIDDEN");
      expect(error.message).toBe("Only an owner of this workspace can export its data; ask an owner to export it.");
    }
    // As for a workspace that does not exist.
    expect((await expectCode(open(outsider.id), "NOT_FOUND")).message).toBe("Workspace not found.");
    await expectCode(open(null), "UNAUTHORIZED");
    // Ada is a MEMBER of Globex.
    await expectCode(download(ada, globex, "zip"), "FORBIDDEN");
    await expect(open(owner.id)).resolves.toMatchObject({ filename: expect.stringMatching(/\.json$/) as unknown });
  });

  test("an owner demoted after the download began gets an error, not a short file", async () => {
    const owner = await createUser(ctx().admin, "Demoted owner");
    const other = await createUser(ctx().admin, "Remaining owner");
    const workspace = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [other.id, "OWNER"],
    ]);
    const opened = await openWorkspaceExport(
      createTRPCContext({ database: ctx().db, sessionToken: await signIn(ctx().db, owner.id), secureCookies: false }),
      { workspaceId: workspace.id, format: "zip" },
    );
    await ctx().admin.query("UPDATE workspace_users SET \"role\" = 'VIEWER' WHERE workspace_id = $1 AND user_id = $2", [
      workspace.id,
      owner.id,
    ]);
    const chunks: Uint8Array[] = [];
    const drained = (async () => {
      for await (const chunk of opened.body) chunks.push(chunk);
    })();
    await expect(drained).rejects.toThrow(/role in this workspace changed/);
  });

  test("a workspace over its plan's limits (read-only beyond them) still exports every KPI", async () => {
    const owner = await createUser(ctx().admin, "Over-limit owner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    // FREE allows 10 active KPIs: 14, arranged by the operator as a downgrade would leave them.
    await ctx().admin.query(
      `INSERT INTO kpis (workspace_id, id, name) SELECT $1, gen_random_uuid(), 'KPI ' || n FROM generate_series(1, 14) AS n`,
      [workspace.id],
    );
    const { tables, header } = tablesFromJson(await download(owner.id, workspace.id, "json"));
    expect(header.plan).toBe("FREE");
    expect(tables.kpis).toHaveLength(14);
  });
});
