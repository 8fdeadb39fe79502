import { Badge } from "./Feedback.tsx";

// A goal's pace in words: the API compares its weighted progress with the time gone.

type Suggestion = "ON_TRACK" | "AT_RISK" | "OFF_TRACK" | "COMPLETED";

const paceLabels: Record<Suggestion, { label: string; tone: "good" | "warn" | "bad" | "info" }> = {
  ON_TRACK: { label: "On track", tone: "good" },
  AT_RISK: { label: "At risk", tone: "warn" },
  OFF_TRACK: { label: "Off track", tone: "bad" },
  COMPLETED: { label: "Completed", tone: "info" },
};

export function PaceBadge({ pace }: { pace: { suggestion: Suggestion; expectedPct: number } | null }) {
  if (!pace) return <Badge tone="neutral">No target date</Badge>;
  const { label, tone } = paceLabels[pace.suggestion];
  return (
    <Badge tone={tone}>
      <span className="badge-prefix">Pace:</span> {label}
    </Badge>
  );
}

export const goalStatusLabels = {
  NOT_STARTED: "Not started",
  ON_TRACK: "On track",
  AT_RISK: "At risk",
  OFF_TRACK: "Off track",
  COMPLETED: "Completed",
  ARCHIVED: "Archived",
} as const;

export type GoalStatus = keyof typeof goalStatusLabels;

function formatNumber(value: number, maximumFractionDigits: number): string {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits }).format(value);
}

export function TrendText({
  changePct,
  change,
  trend,
  unit,
}: {
  changePct: number | null;
  change: number | null;
  trend: "better" | "worse" | "flat" | null;
  unit: string;
}) {
  if (change === null || trend === null) return <span className="trend trend-none">No earlier value</span>;
  const arrow = change > 0 ? "▲" : change < 0 ? "▼" : "●";
  const text =
    changePct === null
      ? `${change > 0 ? "+" : ""}${formatNumber(change, 2)}${unit === "%" ? " pts" : ""}`
      : `${changePct > 0 ? "+" : changePct < 0 ? "−" : "±"}${formatNumber(Math.abs(changePct), 1)}%`;
  return (
    <span className={`trend trend-${trend}`}>
      <span aria-hidden="true">{arrow}</span> {text}
      <span className="visually-hidden"> ({trend === "flat" ? "no change" : trend})</span>
    </span>
  );
}
