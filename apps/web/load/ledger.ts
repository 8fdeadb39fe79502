import type { OperatorPool } from "@northstar/db/testing";

// What the load clients wrote, as they saw it, and the check against the database at the end (as
// the superuser, who sees every tenant): every acknowledged write is there exactly once; a write
// that got no acknowledgement (a refusal, an error, no answer) may be there or not, never twice;
// nothing is there that no client sent; each goal holds its last acknowledged edit (or a later
// one whose answer was lost).

export interface PointWrite {
  kpiId: string;
  /** ISO time: unique per client and KPI, so each write names one row. */
  timestamp: string;
  value: number;
  source: "MANUAL" | "IMPORT";
  acknowledged: boolean;
}

export interface GoalEdit {
  goalId: string;
  title: string;
  acknowledged: boolean;
  /** The title the goal was arranged with, not an edit. */
  arranged?: boolean;
}

export class Ledger {
  readonly points: PointWrite[] = [];
  /** In the order each goal's only editor sent them, after its title as arranged (acknowledged). */
  readonly goalEdits: GoalEdit[] = [];
}

export interface LedgerReport {
  acknowledgedPoints: number;
  unacknowledgedPoints: number;
  /** Of the unacknowledged, how many the database has (they ran; the answer was a failure or lost). */
  unacknowledgedPresent: number;
  lost: string[];
  duplicated: string[];
  wrongValue: string[];
  /** Rows of the clients' KPIs that no client sent. */
  phantom: string[];
  acknowledgedGoalEdits: number;
  goalsWrong: string[];
}

const keyOf = (kpiId: string, timestamp: string, source: string) => `${kpiId} ${timestamp} ${source}`;

export async function checkLedger(admin: OperatorPool, ledgers: Ledger[], kpiIds: string[]): Promise<LedgerReport> {
  const { rows } = await admin.query<{ kpi_id: string; at: string; source: string; n: number; values: number[] }>(
    `SELECT kpi_id::text, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
            source::text, count(*)::int AS n, array_agg(value) AS values
       FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[]) AND source IN ('MANUAL', 'IMPORT')
      GROUP BY 1, 2, 3`,
    [kpiIds],
  );
  const stored = new Map(rows.map((row) => [keyOf(row.kpi_id, row.at, row.source), row]));
  const sent = new Set<string>();
  const report: LedgerReport = {
    acknowledgedPoints: 0,
    unacknowledgedPoints: 0,
    unacknowledgedPresent: 0,
    lost: [],
    duplicated: [],
    wrongValue: [],
    phantom: [],
    acknowledgedGoalEdits: 0,
    goalsWrong: [],
  };
  for (const write of ledgers.flatMap((ledger) => ledger.points)) {
    const key = keyOf(write.kpiId, write.timestamp, write.source);
    sent.add(key);
    const row = stored.get(key);
    if (write.acknowledged) report.acknowledgedPoints += 1;
    else report.unacknowledgedPoints += 1;
    if (!row) {
      if (write.acknowledged) report.lost.push(key);
      continue;
    }
    if (!write.acknowledged) report.unacknowledgedPresent += 1;
    if (row.n !== 1) report.duplicated.push(`${key} ×${row.n}`);
    if (row.values.some((value) => value !== write.value))
      report.wrongValue.push(`${key}: sent ${write.value}, stored ${row.values.join(",")}`);
  }
  for (const key of stored.keys()) if (!sent.has(key)) report.phantom.push(key);

  const titles = await admin.query<{ id: string; title: string }>(
    "SELECT id::text, title FROM goals WHERE id = ANY($1::uuid[])",
    [[...new Set(ledgers.flatMap((ledger) => ledger.goalEdits.map((edit) => edit.goalId)))]],
  );
  const titleOf = new Map(titles.rows.map((row) => [row.id, row.title]));
  const editsByGoal = new Map<string, GoalEdit[]>();
  for (const edit of ledgers.flatMap((ledger) => ledger.goalEdits)) {
    if (edit.acknowledged && !edit.arranged) report.acknowledgedGoalEdits += 1;
    editsByGoal.set(edit.goalId, [...(editsByGoal.get(edit.goalId) ?? []), edit]);
  }
  for (const [goalId, edits] of editsByGoal) {
    // What may stand: the last acknowledged edit, or a later one that ran without its answer
    // arriving. The goal's title as arranged counts as its first acknowledged edit.
    const candidates = edits
      .slice(
        Math.max(
          0,
          edits.findLastIndex((edit) => edit.acknowledged),
        ),
      )
      .map((e) => e.title);
    const title = titleOf.get(goalId);
    if (title === undefined || !candidates.includes(title))
      report.goalsWrong.push(`${goalId}: "${title ?? "missing"}", expected one of ${JSON.stringify(candidates)}`);
  }
  return report;
}

/** Whether the report shows a lost, duplicated, altered or invented write. */
export function ledgerHolds(report: LedgerReport): boolean {
  return (
    report.lost.length === 0 &&
    report.duplicated.length === 0 &&
    report.wrongValue.length === 0 &&
    report.phantom.length === 0 &&
    report.goalsWrong.length === 0
  );
}
