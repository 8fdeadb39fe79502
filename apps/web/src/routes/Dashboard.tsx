import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { Dialog } from "../components/Dialog.tsx";
import { ImportDialog } from "../components/ImportDialog.tsx";
import { CardSkeletons, EmptyState, ErrorState, ProgressBar } from "../components/Feedback.tsx";
import { KpiForm } from "../components/KpiForm.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { MutationButton } from "../components/MutationButton.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { Segmented } from "../components/Segmented.tsx";
import { PaceBadge, TrendText } from "../components/Pace.tsx";
import { Sparkline } from "../components/Sparkline.tsx";
import { useToast } from "../components/Toasts.tsx";
import { formatCalendarDate, formatDate, formatPercent, formatValue } from "../lib/format.ts";
import { valueCaption } from "../lib/period-caption.ts";
import { can } from "../lib/permissions.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// The dashboard: every active KPI as a card (value, target, progress, change, sparkline),
// grouped by category, with search and a category filter; the goals' progress and pace on top.

type Summary = RouterOutputs["kpi"]["summary"][number];
const periods = [
  { value: "day", label: "day" },
  { value: "week", label: "week" },
  { value: "month", label: "month" },
  { value: "quarter", label: "quarter" },
  { value: "year", label: "year" },
] as const;
type Period = (typeof periods)[number]["value"];
const views = [
  { value: "active", label: "Active" },
  { value: "archived", label: "Archived" },
] as const;
type View = (typeof views)[number]["value"];

const dayMs = 86_400_000;
/** The sparkline's window ends at the next full hour, so its query key holds still for an hour. */
function sparklineRange(): { from: Date; to: Date } {
  const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  return { from: new Date(to.getTime() - 30 * dayMs), to };
}

function useVisible<T extends Element>(): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || visible) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setVisible(true);
      },
      { rootMargin: "200px" },
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, [visible]);
  return [ref, visible];
}

function KpiSparkline({ kpi }: { kpi: Summary }) {
  const trpc = useTRPC();
  const { id: workspaceId } = useWorkspace();
  const [ref, visible] = useVisible<HTMLDivElement>();
  const [range] = useState(sparklineRange);
  const series = useQuery({
    // Local days of the workspace, each valued as the KPI adds up (a SUM KPI: each day's total).
    ...trpc.kpi.series.queryOptions({
      workspaceId,
      kpiId: kpi.id,
      ...range,
      buckets: 40,
      calendar: "day",
      compare: false,
    }),
    enabled: visible,
    staleTime: 5 * 60_000,
  });
  const data = useMemo(() => {
    const columns = series.data?.columns;
    return { times: columns?.start.map((start) => start / 1000) ?? [], values: columns?.value ?? [] };
  }, [series.data]);
  return (
    <div ref={ref} className="sparkline-slot">
      {series.data && data.values.some((value) => value !== null) ? (
        <Sparkline times={data.times} values={data.values} label={`${kpi.name} over the last 30 days`} />
      ) : null}
    </div>
  );
}

function KpiCard({ kpi, period }: { kpi: Summary; period: Period }) {
  const { slug } = useWorkspace();
  return (
    <article className="card kpi-card" aria-labelledby={`kpi-${kpi.id}`}>
      <header className="kpi-card-header">
        <h3 id={`kpi-${kpi.id}`}>
          <Link to={`/w/${slug}/kpis/${kpi.id}`} className="card-link">
            {kpi.name}
          </Link>
        </h3>
      </header>
      <p className="kpi-value">{formatValue(kpi.currentValue, kpi.unit, { compact: true })}</p>
      <p className="muted small">
        {kpi.currentValue === null && kpi.latestValue !== null
          ? `No values this ${period} yet`
          : valueCaption(kpi.aggregation, period)}
      </p>
      <p className="kpi-meta">
        <TrendText change={kpi.change} changePct={kpi.changePct} trend={kpi.trend} unit={kpi.unit} />
        <span className="muted">Target {formatValue(kpi.targetValue, kpi.unit, { compact: true })}</span>
      </p>
      <ProgressBar value={kpi.progressPct} label={`${kpi.name}: progress to target`} />
      <p className="kpi-progress-text muted">
        {kpi.progressPct === null ? "No target or value yet" : `${formatPercent(kpi.progressPct)} of target`}
      </p>
      <KpiSparkline kpi={kpi} />
    </article>
  );
}

function GoalsOverview() {
  const trpc = useTRPC();
  const { id: workspaceId, slug } = useWorkspace();
  const goals = useQuery(trpc.goal.list.queryOptions({ workspaceId }));
  if (goals.isPending) return <CardSkeletons count={3} height="5rem" />;
  if (goals.isError) return <ErrorState error={goals.error} onRetry={() => void goals.refetch()} />;
  const open = goals.data.filter((goal) => goal.status !== "COMPLETED").slice(0, 6);
  if (open.length === 0) {
    return (
      <EmptyState title="No open goals" action={<Link to={`/w/${slug}/goals`}>Set a goal →</Link>}>
        A goal ties KPIs to a date, so the team sees whether it is on pace.
      </EmptyState>
    );
  }
  return (
    <div className="card-grid goal-grid">
      {open.map((goal) => (
        <article key={goal.id} className="card goal-mini">
          <header className="goal-mini-header">
            <h3>
              <Link to={`/w/${slug}/goals#goal-${goal.id}`} className="card-link">
                {goal.title}
              </Link>
            </h3>
            <PaceBadge pace={goal.pace} />
          </header>
          <ProgressBar value={goal.progressPct} label={`${goal.title}: weighted progress`} />
          <p className="muted small">
            {formatPercent(goal.progressPct)} done
            {goal.pace ? `, ${formatPercent(goal.pace.expectedPct)} expected by now` : ""} ·{" "}
            {goal.targetDate ? `due ${formatCalendarDate(goal.targetDate)}` : "no due date"}
          </p>
        </article>
      ))}
    </div>
  );
}

function ArchivedKpis() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug, role } = useWorkspace();
  const archived = useQuery(trpc.kpi.list.queryOptions({ workspaceId, status: "archived", limit: 100 }));
  const restore = useMutation(
    trpc.kpi.restore.mutationOptions({
      onSuccess: async (kpi) => {
        await queryClient.invalidateQueries(trpc.kpi.pathFilter());
        toast.success(`“${kpi.name}” is active again.`);
      },
    }),
  );
  if (archived.isPending) return <CardSkeletons count={2} height="3rem" />;
  if (archived.isError) return <ErrorState error={archived.error} onRetry={() => void archived.refetch()} />;
  if (archived.data.items.length === 0)
    return (
      <EmptyState title="No archived KPIs">
        Archiving a KPI keeps its history but takes it off the dashboard.
      </EmptyState>
    );
  return (
    <ul className="list">
      {archived.data.items.map((kpi) => (
        <li key={kpi.id} className="list-row">
          <Link to={`/w/${slug}/kpis/${kpi.id}`}>{kpi.name}</Link>
          <span className="muted">
            {kpi.category} · archived {formatDate(kpi.archivedAt)}
          </span>
          {can(role, "kpi.write") ? (
            <MutationButton className="button button-small" mutation={restore} input={{ workspaceId, kpiId: kpi.id }}>
              Restore
            </MutationButton>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export function Dashboard() {
  const trpc = useTRPC();
  const { id: workspaceId, slug, role, name } = useWorkspace();
  const [period, setPeriod] = useState<Period>("month");
  const [category, setCategory] = useState("");
  const [search, setSearch] = useState("");
  const [view, setView] = useState<View>("active");
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const query = useDeferredValue(search.trim().toLowerCase());
  const categories = useQuery(trpc.kpi.categories.queryOptions({ workspaceId }));
  const summary = useQuery({
    ...trpc.kpi.summary.queryOptions({ workspaceId, period, limit: 200, ...(category ? { category } : {}) }),
    placeholderData: (previous) => previous,
  });

  const groups = useMemo(() => {
    const byCategory = new Map<string, Summary[]>();
    for (const kpi of summary.data ?? []) {
      if (query && !kpi.name.toLowerCase().includes(query)) continue;
      const list = byCategory.get(kpi.category) ?? [];
      list.push(kpi);
      byCategory.set(kpi.category, list);
    }
    return [...byCategory.entries()];
  }, [summary.data, query]);

  const canWrite = can(role, "kpi.write");
  const noKpis = summary.isSuccess && summary.data.length === 0 && !category;
  // The header and the empty dashboard offer the same first step: a new KPI.
  const createButton = (label: string) =>
    canWrite ? (
      <button
        type="button"
        className="button button-primary"
        onClick={() => {
          setCreating(true);
        }}
      >
        {label}
      </button>
    ) : null;

  return (
    <div className="page">
      <PageHeader
        title="Dashboard"
        description={name}
        actions={
          <>
            {canWrite ? (
              <button
                type="button"
                className="button"
                onClick={() => {
                  setImporting(true);
                }}
              >
                Import CSV
              </button>
            ) : null}
            {createButton("New KPI")}
          </>
        }
      />

      <section aria-labelledby="goals-title" className="section">
        <div className="section-header">
          <h2 id="goals-title">Goals</h2>
          <Link to={`/w/${slug}/goals`}>All goals →</Link>
        </div>
        <GoalsOverview />
      </section>

      <section aria-labelledby="kpis-title" className="section">
        <div className="section-header">
          <h2 id="kpis-title">KPIs</h2>
        </div>
        <div className="toolbar" role="search">
          <label className="toolbar-field">
            <span>Search</span>
            <input
              type="search"
              value={search}
              placeholder="KPI name"
              onChange={(event) => {
                setSearch(event.target.value);
              }}
            />
          </label>
          <label className="toolbar-field">
            <span>Category</span>
            <select
              value={category}
              onChange={(event) => {
                setCategory(event.target.value);
              }}
            >
              <option value="">All categories</option>
              {categories.data?.map((item) => (
                <option key={item.category} value={item.category}>
                  {item.category} ({item.kpis})
                </option>
              ))}
            </select>
          </label>
          <label className="toolbar-field">
            <span>Period</span>
            <select
              value={period}
              onChange={(event) => {
                setPeriod(periods.find((item) => item.value === event.target.value)?.value ?? "month");
              }}
            >
              {periods.map((item) => (
                <option key={item.value} value={item.value}>
                  {item.value === "day" ? "today" : `this ${item.label}`} vs the one before
                </option>
              ))}
            </select>
          </label>
          <Segmented label="Show" options={views} value={view} onChange={setView} />
        </div>

        {view === "archived" ? (
          <ArchivedKpis />
        ) : (
          <Loaded query={summary} placeholder={<CardSkeletons count={6} />}>
            {() =>
              noKpis ? (
                <EmptyState title="No KPIs yet" action={createButton("Create your first KPI")}>
                  {canWrite
                    ? "A KPI is a number you track over time: revenue, signups, response time. " +
                      "Create one, then add values by hand, import a CSV or connect an integration."
                    : "Nobody has added a KPI to this workspace yet. An admin or member can create the first one."}
                </EmptyState>
              ) : groups.length === 0 ? (
                <EmptyState title="Nothing matches">
                  No KPI name contains “{search}”. Try another word or clear the filters.
                </EmptyState>
              ) : (
                groups.map(([group, kpis]) => (
                  <section key={group} aria-label={group} className="category">
                    <h3 className="category-title">{group}</h3>
                    <div className="card-grid">
                      {kpis.map((kpi) => (
                        <KpiCard key={kpi.id} kpi={kpi} period={period} />
                      ))}
                    </div>
                  </section>
                ))
              )
            }
          </Loaded>
        )}
      </section>

      <Dialog
        open={importing}
        title="Import a CSV file"
        onClose={() => {
          setImporting(false);
        }}
        wide
      >
        <ImportDialog
          onDone={() => {
            setImporting(false);
          }}
        />
      </Dialog>
      <Dialog
        open={creating}
        title="New KPI"
        onClose={() => {
          setCreating(false);
        }}
      >
        <KpiForm
          categories={categories.data?.map((item) => item.category) ?? []}
          onCancel={() => {
            setCreating(false);
          }}
          onDone={() => {
            setCreating(false);
          }}
        />
      </Dialog>
    </div>
  );
}
