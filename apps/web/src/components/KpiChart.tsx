import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import { formatDateTime, formatValue, toDateInput } from "../lib/format.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";
import { Chart, useChartTheme } from "./Chart.tsx";
import { EmptyState, ErrorState, Skeleton } from "./Feedback.tsx";
import { TrendText } from "./Pace.tsx";
import { Segmented } from "./Segmented.tsx";

// A KPI over a chosen range: the API downsamples it into calendar buckets of the workspace's time
// zone (the finest of hours, days, weeks, … that gives about one bucket per few pixels); the chart
// shows each bucket's value as the KPI adds up (a SUM KPI: each day's total; AVERAGE: its mean),
// the same number of buckets just before (dashed), and the target. Hovering shows the values in
// the legend.

type Series = RouterOutputs["kpi"]["series"];
const dayMs = 86_400_000;
const presets = [
  { key: "7d", label: "7 days", days: 7 },
  { key: "30d", label: "30 days", days: 30 },
  { key: "90d", label: "90 days", days: 90 },
  { key: "1y", label: "1 year", days: 365 },
] as const;
type PresetKey = (typeof presets)[number]["key"] | "custom";
const rangeChoices: { value: PresetKey; label: string }[] = [
  ...presets.map((item) => ({ value: item.key, label: item.key })),
  { value: "custom", label: "Custom" },
];

/** The next full 5 minutes: the range's end holds still between refreshes. */
function rangeEnd(): Date {
  const step = 5 * 60_000;
  return new Date(Math.ceil((Date.now() + 1) / step) * step);
}

/** One end of the custom range, as a date input in the toolbar. */
function DateBound({
  label,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  value: string;
  min?: string;
  max?: string;
  onChange: (value: string) => void;
}) {
  return (
    <label className="toolbar-field">
      <span>{label}</span>
      <input
        type="date"
        value={value}
        min={min}
        max={max}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
    </label>
  );
}

/** Time, this period, [the previous period, when the plan's history reaches it,] the target. */
function chartData(series: Series | undefined): uPlot.AlignedData {
  if (!series) return [[], [], []];
  const { columns, previous } = series;
  const times = columns.start.map((start) => start / 1000);
  const target = columns.start.map(() => series.kpi.targetValue);
  if (!previous) return [times, columns.value, target];
  return [times, columns.value, columns.start.map((_, index) => previous.columns.value[index] ?? null), target];
}

export function KpiChart({ kpiId, refreshKey }: { kpiId: string; refreshKey: number }) {
  const trpc = useTRPC();
  const { id: workspaceId } = useWorkspace();
  const theme = useChartTheme();
  const [preset, setPreset] = useState<PresetKey>("30d");
  const [custom, setCustom] = useState(() => ({
    from: toDateInput(new Date(Date.now() - 14 * dayMs)),
    to: toDateInput(new Date()),
  }));
  // Re-read "now" whenever the page says the data changed (a point was added) or the range did.
  const [end, setEnd] = useState(rangeEnd);
  useEffect(() => {
    if (refreshKey > 0) setEnd(rangeEnd());
  }, [refreshKey]);
  const [buckets] = useState(() => Math.min(2000, Math.max(60, Math.round(window.innerWidth / 3))));

  const range = useMemo(() => {
    if (preset === "custom") {
      const from = new Date(`${custom.from}T00:00`);
      const to = new Date(new Date(`${custom.to}T00:00`).getTime() + dayMs);
      return Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to ? null : { from, to };
    }
    const days = presets.find((item) => item.key === preset)?.days ?? 30;
    return { from: new Date(end.getTime() - days * dayMs), to: end };
  }, [preset, custom, end]);

  const series = useQuery({
    ...trpc.kpi.series.queryOptions({
      workspaceId,
      kpiId,
      from: range?.from ?? end,
      to: range?.to ?? end,
      buckets,
      calendar: "auto",
      compare: true,
    }),
    enabled: range !== null,
    placeholderData: (previous) => previous,
  });

  const unit = series.data?.kpi.unit ?? "";
  const hasPrevious = series.data?.previous !== null && series.data?.previous !== undefined;
  const options = useCallback(
    (width: number): uPlot.Options => ({
      width,
      height: 320,
      scales: { x: { time: true } },
      cursor: { points: { size: 7 }, drag: { x: false, y: false } },
      legend: { live: true },
      axes: [
        { stroke: theme.text, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid } },
        // Numbers only on the axis (the unit is in the legend's values); compact keeps it narrow.
        {
          stroke: theme.text,
          grid: { stroke: theme.grid, width: 1 },
          ticks: { stroke: theme.grid },
          size: 56,
          values: (_u, values) => values.map((value) => formatAxis(value)),
        },
      ],
      series: [
        // uPlot passes null when the cursor is off the data.
        {
          label: "Time",
          value: (_u, value: number | null) => (value === null ? "—" : formatDateTime(new Date(value * 1000))),
        },
        {
          label: "This period",
          stroke: theme.accent,
          width: 2,
          spanGaps: true,
          points: { show: false },
          value: (_u, value) => formatValue(value, unit),
        },
        // Without a previous period the series is left out (not shown greyed out in the legend).
        ...(hasPrevious
          ? [
              {
                label: "Previous period",
                stroke: theme.compare,
                width: 1.5,
                dash: [6, 4],
                spanGaps: true,
                points: { show: false },
                value: (_u: uPlot, value: number | null) => formatValue(value, unit),
              },
            ]
          : []),
        {
          label: "Target",
          stroke: theme.target,
          width: 1.5,
          dash: [2, 4],
          points: { show: false },
          value: (_u, value) => formatValue(value, unit),
        },
      ],
    }),
    [theme, unit, hasPrevious],
  );
  const data = useMemo(() => chartData(series.data), [series.data]);
  const empty = series.data?.columns.count.every((count) => count === 0) ?? false;

  return (
    <section className="card chart-card" aria-labelledby="chart-title">
      <header className="chart-header">
        <h2 id="chart-title">History</h2>
        <Segmented
          label="Range"
          options={rangeChoices}
          value={preset}
          onChange={(key) => {
            setPreset(key);
            // A preset counts back from now; a custom range has its own dates.
            if (key !== "custom") setEnd(rangeEnd());
          }}
        />
      </header>
      {preset === "custom" ? (
        <div className="toolbar">
          <DateBound
            label="From"
            value={custom.from}
            max={custom.to}
            onChange={(from) => {
              setCustom((current) => ({ ...current, from }));
            }}
          />
          <DateBound
            label="To"
            value={custom.to}
            min={custom.from}
            onChange={(to) => {
              setCustom((current) => ({ ...current, to }));
            }}
          />
          {range === null ? <p className="field-error">Pick a start before the end.</p> : null}
        </div>
      ) : null}
      {series.data?.comparison ? (
        <p className="chart-comparison">
          vs the previous {preset === "custom" ? "period" : presets.find((item) => item.key === preset)?.label}:{" "}
          <TrendText
            change={series.data.comparison.change}
            changePct={series.data.comparison.changePct}
            trend={series.data.comparison.trend}
            unit={unit}
          />
        </p>
      ) : (
        <p className="chart-comparison muted">
          {series.data && !hasPrevious ? "No comparison: the plan’s history does not reach the period before." : " "}
        </p>
      )}
      <div className="chart-frame" aria-busy={series.isFetching}>
        {series.isError ? (
          <ErrorState error={series.error} onRetry={() => void series.refetch()} />
        ) : series.isPending ? (
          <Skeleton height="352px" />
        ) : empty ? (
          <EmptyState title="No data in this range">
            Add a value below, import a CSV, or pick a longer range.
          </EmptyState>
        ) : (
          <Chart
            options={options}
            data={data}
            height={320}
            label={`${series.data.kpi.name}: values over the chosen range, with the previous period and the target`}
          />
        )}
      </div>
      {series.data ? (
        <p className="muted small">
          {series.data.columns.start.length} buckets of {formatBucket(series.data.bucketWidthMs, series.data.calendar)}{" "}
          each, {aggregationWords[series.data.kpi.aggregation]}
          {series.data.calendar ? ` (${series.data.timeZone} time)` : ""}.
        </p>
      ) : null}
    </section>
  );
}

const axisFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2 });
function formatAxis(value: number): string {
  return axisFormat.format(value);
}

const aggregationWords = {
  SUM: "each the total of its values",
  AVERAGE: "each the average of its values",
  LAST: "each its last value",
  MIN: "each its lowest value",
  MAX: "each its highest value",
} as const;

function formatBucket(ms: number, calendar: Series["calendar"]): string {
  if (calendar) return `one ${calendar}`;
  if (ms >= dayMs) return `${Math.round((ms / dayMs) * 10) / 10} days`;
  if (ms >= 3_600_000) return `${Math.round((ms / 3_600_000) * 10) / 10} hours`;
  return `${Math.max(1, Math.round(ms / 60_000))} minutes`;
}
