import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { EmptyState, ErrorState, Skeleton } from "../components/Feedback.tsx";
import { formatInterval, plainError, SyncStatusBadge } from "../components/Integration.tsx";
import { useToast } from "../components/Toasts.tsx";
import { errorCode } from "../lib/errors.ts";
import { formatDateTime, formatRelative } from "../lib/format.ts";
import { can } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// One integration: its state, its last error in plain words, "sync now", enable/disable, and
// the history of its runs.

const runBadge = { RUNNING: "SYNCING", SUCCEEDED: "SUCCEEDED", FAILED: "FAILED" } as const;

export function IntegrationDetail() {
  const { integrationId = "" } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug, role } = useWorkspace();
  const canManage = can(role, "integration.manage");
  const integration = useQuery({
    ...trpc.integration.get.queryOptions({ workspaceId, integrationId }),
    refetchInterval: (query) => (query.state.data?.syncStatus === "QUEUED" || query.state.data?.syncStatus === "SYNCING" ? 2000 : false),
  });
  const syncing = integration.data?.syncStatus === "QUEUED" || integration.data?.syncStatus === "SYNCING";
  const runs = useInfiniteQuery({
    ...trpc.integration.runs.infiniteQueryOptions({ workspaceId, integrationId, limit: 20 }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
    refetchInterval: syncing ? 2000 : false,
  });

  const settle = async (message: string) => {
    await queryClient.invalidateQueries(trpc.integration.pathFilter());
    toast.success(message);
  };
  const syncNow = useMutation(
    trpc.integration.syncNow.mutationOptions({
      // Optimistic: the badge says "queued" at once; the API's answer replaces it.
      onMutate: async () => {
        const key = trpc.integration.get.queryKey({ workspaceId, integrationId });
        await queryClient.cancelQueries({ queryKey: key });
        const before = queryClient.getQueryData(key);
        queryClient.setQueryData(key, (current) => (current ? { ...current, syncStatus: "QUEUED" as const } : current));
        return { before, key };
      },
      onError: (_error, _input, context) => {
        if (context?.before) queryClient.setQueryData(context.key, context.before);
      },
      onSuccess: () => settle("Sync queued."),
    }),
  );
  const disable = useMutation(trpc.integration.disable.mutationOptions({ onSuccess: () => settle("Integration disabled: it will not sync until enabled.") }));
  const enable = useMutation(trpc.integration.enable.mutationOptions({ onSuccess: () => settle("Integration enabled; a sync is due now.") }));

  if (integration.isPending) {
    return (
      <div className="page" aria-busy="true">
        <Skeleton height="2rem" width="40%" />
        <Skeleton height="10rem" className="mt" />
      </div>
    );
  }
  if (integration.isError) {
    return (
      <div className="page">
        {errorCode(integration.error) === "NOT_FOUND" ? (
          <div className="panel">
            <h1>Integration not found</h1>
            <Link to={`/w/${slug}/integrations`}>Back to integrations</Link>
          </div>
        ) : (
          <ErrorState error={integration.error} onRetry={() => void integration.refetch()} />
        )}
      </div>
    );
  }
  const data = integration.data;
  const input = { workspaceId, integrationId };
  const runRows = runs.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/w/${slug}/integrations`}>Integrations</Link> <span aria-hidden="true">/</span> <span>{data.name}</span>
      </nav>
      <header className="page-header">
        <div>
          <h1>
            {data.name} <SyncStatusBadge status={data.syncStatus} />
          </h1>
          <p className="muted">
            {data.provider} · {formatInterval(data.syncIntervalSeconds)}
          </p>
        </div>
        {canManage ? (
          <div className="actions">
            <button type="button" className="button button-primary" disabled={syncNow.isPending || data.syncStatus === "DISABLED" || syncing} onClick={() => { syncNow.mutate(input); }}>
              {syncing ? "Syncing…" : "Sync now"}
            </button>
            {data.syncStatus === "DISABLED" ? (
              <button type="button" className="button" disabled={enable.isPending} onClick={() => { enable.mutate(input); }}>
                Enable
              </button>
            ) : (
              <button type="button" className="button" disabled={disable.isPending} onClick={() => { disable.mutate(input); }}>
                Disable
              </button>
            )}
          </div>
        ) : null}
      </header>

      {data.lastErrorCode || data.lastErrorMessage ? (
        <div className={data.syncStatus === "FAILED" || data.syncStatus === "DISABLED" ? "callout callout-bad" : "callout"} role="status">
          <strong>Last error {formatRelative(data.lastErrorAt)}:</strong> {plainError(data.lastErrorCode, data.lastErrorMessage)}
        </div>
      ) : null}

      <section className="card section" aria-label="Details">
        <dl className="details">
          <dt>Last successful sync</dt>
          <dd>{data.lastSyncedAt ? `${formatRelative(data.lastSyncedAt)} (${formatDateTime(data.lastSyncedAt)})` : "Never"}</dd>
          <dt>Last attempt</dt>
          <dd>{formatDateTime(data.lastAttemptAt)}</dd>
          <dt>Next sync</dt>
          <dd>{data.syncStatus === "DISABLED" ? "Not while disabled" : formatDateTime(data.nextSyncAt)}</dd>
          <dt>Failures in a row</dt>
          <dd>{data.consecutiveFailures}</dd>
          <dt>Credentials</dt>
          <dd className="mono">{data.credentialsHint ?? "none"}</dd>
          {Object.entries(data.config).map(([key, value]) => (
            <div key={key} className="details-pair">
              <dt>{key}</dt>
              <dd className="mono">{typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="card section" aria-labelledby="runs-title">
        <h2 id="runs-title">Run history</h2>
        {runs.isPending ? (
          <Skeleton height="8rem" />
        ) : runs.isError ? (
          <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
        ) : runRows.length === 0 ? (
          <EmptyState title="No runs yet">{data.syncStatus === "DISABLED" ? "Enable the integration to start syncing." : "The first sync runs shortly after connecting, or press Sync now."}</EmptyState>
        ) : (
          <>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="numeric">
                      Values written
                    </th>
                    <th scope="col">Took</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {runRows.map((run) => (
                    <tr key={run.id}>
                      <td>{formatDateTime(run.startedAt)}</td>
                      <td>
                        <SyncStatusBadge status={runBadge[run.status]} />
                      </td>
                      <td className="numeric">{run.pointsWritten}</td>
                      <td>{run.finishedAt ? `${Math.max(0, Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10)} s` : "running"}</td>
                      <td>{run.status === "FAILED" ? plainError(run.errorCode, run.errorMessage) : ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {runs.hasNextPage ? (
              <button type="button" className="button" disabled={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
                {runs.isFetchingNextPage ? "Loading…" : "Older runs"}
              </button>
            ) : null}
          </>
        )}
      </section>
    </div>
  );
}
