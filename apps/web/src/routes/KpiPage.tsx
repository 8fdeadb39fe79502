import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Dialog } from "../components/Dialog.tsx";
import { AddPointForm, DataPointsTable, ImportCsvForm } from "../components/DataPoints.tsx";
import { Badge, ProgressBar, Skeleton } from "../components/Feedback.tsx";
import { KpiChart } from "../components/KpiChart.tsx";
import { KpiForm } from "../components/KpiForm.tsx";
import { MutationButton } from "../components/MutationButton.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { RecordPageError } from "../components/RecordPageError.tsx";
import { useToast } from "../components/Toasts.tsx";
import { formatPercent, formatRelative, formatValue } from "../lib/format.ts";
import { valueCaption } from "../lib/period-caption.ts";
import { can } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// One KPI: where it stands, its history on a chart, its values; add, import, edit, archive.

export function KpiPage() {
  const { kpiId = "" } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug, role } = useWorkspace();
  const [editing, setEditing] = useState(false);
  const [importing, setImporting] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const kpi = useQuery(trpc.kpi.get.queryOptions({ workspaceId, kpiId }));
  // Progress as the dashboard's card and the goals measure it: this month's value as the KPI's
  // aggregation adds up (a SUM KPI's month so far), not its newest point.
  const month = useQuery(trpc.kpi.summary.queryOptions({ workspaceId, period: "month", kpiId, limit: 1 }));
  const thisMonth = month.data?.[0];
  const categories = useQuery({ ...trpc.kpi.categories.queryOptions({ workspaceId }), enabled: editing });
  const canWrite = can(role, "kpi.write");
  const refresh = () => {
    setRefreshKey((key) => key + 1);
  };

  const settle = async (message: string) => {
    await queryClient.invalidateQueries(trpc.kpi.pathFilter());
    toast.success(message);
  };
  const archive = useMutation(
    trpc.kpi.archive.mutationOptions({
      onSuccess: (saved) => settle(`“${saved.name}” archived: it keeps its history, off the dashboard.`),
    }),
  );
  const restore = useMutation(
    trpc.kpi.restore.mutationOptions({ onSuccess: (saved) => settle(`“${saved.name}” is active again.`) }),
  );

  if (kpi.isPending) {
    return (
      <div className="page" aria-busy="true">
        <Skeleton height="2rem" width="50%" />
        <Skeleton height="6rem" className="mt" />
        <Skeleton height="24rem" className="mt" />
      </div>
    );
  }
  if (kpi.isError) {
    return (
      <RecordPageError
        error={kpi.error}
        onRetry={() => void kpi.refetch()}
        notFound={
          <>
            <h1>KPI not found</h1>
            <p>It may have been deleted, or the link is wrong.</p>
            <Link to={`/w/${slug}`}>Back to the dashboard</Link>
          </>
        }
      />
    );
  }
  const data = kpi.data;

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/w/${slug}`}>Dashboard</Link> <span aria-hidden="true">/</span> <span>{data.category}</span>
      </nav>
      <PageHeader
        title={
          <>
            {data.name} {data.isActive ? null : <Badge tone="neutral">Archived</Badge>}
          </>
        }
        description={data.description}
        actions={
          canWrite ? (
            <div className="actions">
              <button
                type="button"
                className="button"
                onClick={() => {
                  setEditing(true);
                }}
              >
                Edit
              </button>
              {data.isActive ? (
                <MutationButton className="button" mutation={archive} input={{ workspaceId, kpiId }}>
                  Archive
                </MutationButton>
              ) : (
                <MutationButton className="button" mutation={restore} input={{ workspaceId, kpiId }}>
                  Restore
                </MutationButton>
              )}
            </div>
          ) : null
        }
      />

      <section className="stats" aria-label="Where it stands">
        <div className="stat">
          <span className="stat-label">Current</span>
          <span className="stat-value" data-testid="kpi-current">
            {formatValue(data.currentValue, data.unit)}
          </span>
          <span className="muted small">
            {data.currentValueAt ? `as of ${formatRelative(data.currentValueAt)}` : "no value yet"}
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">Target</span>
          <span className="stat-value">{formatValue(data.targetValue, data.unit)}</span>
          <span className="muted small">
            {data.direction === "HIGHER_IS_BETTER" ? "higher is better" : "lower is better"}
          </span>
        </div>
        <div className="stat stat-wide">
          <span className="stat-label">{data.aggregation === "LAST" ? "Progress" : "Progress this month"}</span>
          <span className="stat-value" data-testid="kpi-progress">
            {formatPercent(thisMonth?.progressPct ?? null)}
          </span>
          <ProgressBar value={thisMonth?.progressPct ?? null} label={`${data.name}: progress to target`} />
          {thisMonth && data.aggregation !== "LAST" ? (
            <span className="muted small" data-testid="kpi-period-value">
              {valueCaption(thisMonth.aggregation, "month")}: {formatValue(thisMonth.currentValue, data.unit)}
            </span>
          ) : null}
        </div>
      </section>

      <KpiChart kpiId={kpiId} refreshKey={refreshKey} />

      <section className="card section" aria-labelledby="values-title">
        <header className="section-header">
          <h2 id="values-title">Values</h2>
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
        </header>
        {canWrite && data.isActive ? <AddPointForm kpiId={kpiId} onAdded={refresh} /> : null}
        <DataPointsTable kpiId={kpiId} unit={data.unit} canWrite={canWrite} onChanged={refresh} />
      </section>

      <Dialog
        open={editing}
        title={`Edit “${data.name}”`}
        onClose={() => {
          setEditing(false);
        }}
      >
        <KpiForm
          kpi={data}
          categories={categories.data?.map((item) => item.category) ?? []}
          onCancel={() => {
            setEditing(false);
          }}
          onDone={() => {
            setEditing(false);
          }}
        />
      </Dialog>
      <Dialog
        open={importing}
        title="Import values from CSV"
        onClose={() => {
          setImporting(false);
        }}
        wide
      >
        <ImportCsvForm
          kpiId={kpiId}
          onImported={() => {
            refresh();
            setImporting(false);
          }}
        />
      </Dialog>
    </div>
  );
}
