// How `bench:scale` grows its database from one level to the next, as real growth would: more
// tenants with deeper history, loaded by the generator (COPY) and with the rollups and current
// values exact afterwards, either kept by the triggers as the points arrive or rebuilt once after a
// trigger-less load. Only public SQL and the operator's functions are used (no table names of the
// physical layout), so it runs the same whether kpi_data_points is partitioned or not.
import { statfs } from "node:fs/promises";
import type { OperatorPool } from "@northstar/db/testing";
import { generateData } from "@northstar/db/generate";
import { checkRollups, rebuildRollups } from "@northstar/db/rollups";

/** How the rollups become exact after a load. */
export type LoadMode = "triggers" | "rebuild";
export const loadModes = ["triggers", "rebuild"] as const satisfies readonly LoadMode[];

export interface Shape {
  workspaces: number;
  kpisPerWorkspace: number;
  days: number;
  /** Seconds between two points of a KPI; default an hour. */
  intervalSeconds?: number;
}

const secondsPerDay = 86_400;

export const pointsOf = (shape: Shape) =>
  shape.workspaces *
  shape.kpisPerWorkspace *
  Math.floor((shape.days * secondsPerDay) / (shape.intervalSeconds ?? 3_600));

export interface Loaded {
  points: number;
  workspaceIds: string[];
  /** Generator (COPY) time. */
  copySeconds: number;
  /** Rollup rebuild and current values after a trigger-less load; 0 with triggers. */
  rebuildSeconds: number;
}

/** The same URL with ordinary triggers and foreign-key checks off for its sessions (an operator's bulk load). */
function withoutTriggers(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", "-c session_replication_role=replica");
  return parsed.toString();
}

/** Runs `jobs` at most `width` at a time. */
async function inParallel<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (job) results.push(await job());
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, lane));
  return results;
}

export class Growth {
  private readonly admin: OperatorPool;
  private readonly adminUrl: string;
  private readonly mode: LoadMode;
  private readonly loaders: number;
  private readonly known = new Set<string>();

  constructor(admin: OperatorPool, adminUrl: string, mode: LoadMode, loaders: number) {
    this.admin = admin;
    this.adminUrl = adminUrl;
    this.mode = mode;
    this.loaders = loaders;
  }

  /** Loads every shape (split over the loaders), then makes the rollups and current values exact. */
  async load(shapes: Shape[]): Promise<Loaded> {
    const url = this.mode === "rebuild" ? withoutTriggers(this.adminUrl) : this.adminUrl;
    // A shape of many workspaces is split in two so that both loaders have work.
    const parts = shapes.flatMap((shape) =>
      shape.workspaces > 1 && this.loaders > 1
        ? [
            { ...shape, workspaces: Math.ceil(shape.workspaces / 2) },
            { ...shape, workspaces: Math.floor(shape.workspaces / 2) },
          ]
        : [shape],
    );
    let started = performance.now();
    const generated = await inParallel(
      this.loaders,
      parts.map(
        (shape) => () =>
          generateData({
            url,
            workspaces: shape.workspaces,
            kpisPerWorkspace: shape.kpisPerWorkspace,
            days: shape.days,
            intervalSeconds: shape.intervalSeconds ?? 3_600,
          }),
      ),
    );
    const copySeconds = (performance.now() - started) / 1000;
    const { rows } = await this.admin.query<{ id: string }>(
      "SELECT id::text FROM workspaces WHERE NOT (id = ANY($1::uuid[])) ORDER BY id",
      [[...this.known]],
    );
    const workspaceIds = rows.map((row) => row.id);
    for (const id of workspaceIds) this.known.add(id);
    started = performance.now();
    if (this.mode === "rebuild") await this.rebuild(workspaceIds);
    return {
      points: generated.reduce((sum, result) => sum + result.points, 0),
      workspaceIds,
      copySeconds,
      rebuildSeconds: this.mode === "rebuild" ? (performance.now() - started) / 1000 : 0,
    };
  }

  /** What the triggers would have done: each KPI's current value, and the rollups from the raw points. */
  private async rebuild(workspaceIds: string[]): Promise<void> {
    await this.admin.query(
      `UPDATE kpis AS k SET (current_value, current_value_at) = (
         SELECT p.value, p."timestamp" FROM kpi_data_points AS p
          WHERE p.workspace_id = k.workspace_id AND p.kpi_id = k.id
          ORDER BY p."timestamp" DESC, p.source DESC LIMIT 1)
        WHERE k.workspace_id = ANY($1::uuid[])`,
      [workspaceIds],
    );
    await inParallel(
      this.loaders,
      workspaceIds.map((workspaceId) => async () => {
        const client = await this.admin.connect();
        try {
          await rebuildRollups(client, { workspaceId });
        } finally {
          client.release();
        }
      }),
    );
  }

  /** Throws when a rollup row of these workspaces differs from their raw points. */
  async assertExact(workspaceIds: string[]): Promise<void> {
    const client = await this.admin.connect();
    try {
      for (const workspaceId of workspaceIds) {
        const drift = await checkRollups(client, { workspaceId });
        if (drift.length > 0)
          throw new Error(`${drift.length} rollup row(s) of workspace ${workspaceId} differ from its raw points`);
      }
    } finally {
      client.release();
    }
  }
}

/**
 * The growth tenants that bring `points` more: workspaces of `kpisPerWorkspace` KPIs with `days` of
 * hourly history, and one workspace with the KPIs that make up the rest (rounded to whole KPIs).
 */
export function growthShapes(points: number, kpisPerWorkspace: number, days: number, intervalSeconds: number): Shape[] {
  const perKpi = pointsOf({ workspaces: 1, kpisPerWorkspace: 1, days, intervalSeconds });
  const workspaces = Math.floor(points / (kpisPerWorkspace * perKpi));
  const restKpis = Math.round((points - workspaces * kpisPerWorkspace * perKpi) / perKpi);
  const shapes: Shape[] = [];
  if (workspaces > 0) shapes.push({ workspaces, kpisPerWorkspace, days, intervalSeconds });
  if (restKpis > 0) shapes.push({ workspaces: 1, kpisPerWorkspace: restKpis, days, intervalSeconds });
  return shapes;
}

export interface DiskUse {
  /** Every table of the schema with its indexes and TOAST, partitions counted with their parent. */
  tables: { name: string; bytes: number }[];
  totalBytes: number;
  /** Free bytes on the server's data directory's file system; null when it is not on this machine. */
  freeBytes: number | null;
}

export async function diskUse(admin: OperatorPool): Promise<DiskUse> {
  const { rows } = await admin.query<{ name: string; bytes: string }>(
    `SELECT coalesce(pg_partition_root(c.oid), c.oid)::regclass::text AS name,
            sum(pg_total_relation_size(c.oid))::text AS bytes
       FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
      WHERE (n.nspname = 'public' OR c.relispartition) AND c.relkind IN ('r', 'm')
      GROUP BY 1 ORDER BY sum(pg_total_relation_size(c.oid)) DESC`,
  );
  const tables = rows.map((row) => ({ name: row.name, bytes: Number(row.bytes) }));
  const { rows: settings } = await admin.query<{ directory: string }>(
    "SELECT current_setting('data_directory') AS directory",
  );
  // A server on another machine: its disk is not ours to see (null).
  const stats = await statfs(settings[0]?.directory ?? "").catch(() => null);
  const freeBytes = stats ? stats.bavail * stats.bsize : null;
  return { tables, totalBytes: tables.reduce((sum, table) => sum + table.bytes, 0), freeBytes };
}

export const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
