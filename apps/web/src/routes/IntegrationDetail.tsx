import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link, useParams } from "react-router";
import { Dialog } from "../components/Dialog.tsx";
import { EmptyState, ErrorState, FormActions, Skeleton } from "../components/Feedback.tsx";
import { catalogueEntry, formatInterval, plainError, SyncStatusBadge } from "../components/Integration.tsx";
import {
  changedOrigin,
  CredentialsForNewOrigin,
  filledIn,
  IntegrationNameField,
  ProviderFieldInputs,
  SyncIntervalField,
} from "../components/IntegrationFields.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { MutationButton } from "../components/MutationButton.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { RecordPageError } from "../components/RecordPageError.tsx";
import { useToast } from "../components/Toasts.tsx";
import { errorMessage, fieldErrors } from "../lib/errors.ts";
import { formatDateTime, formatRelative } from "../lib/format.ts";
import { can } from "../lib/permissions.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// One integration: its state, its last error in plain words, "sync now", enable/disable, and
// the history of its runs.

const runBadge = { RUNNING: "SYNCING", SUCCEEDED: "SUCCEEDED", FAILED: "FAILED" } as const;

/** integration.update with its errors shown in the form; on success, fresh data, a toast, and done. */
function useIntegrationUpdate(message: string, onDone: () => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation(
    trpc.integration.update.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.integration.pathFilter());
        toast.success(message);
        onDone();
      },
    }),
  );
}

/** New credentials (never shown back): the form comes from the provider's credential fields. */
function ReplaceCredentials({
  integrationId,
  provider,
  onDone,
}: {
  integrationId: string;
  provider: string;
  onDone: () => void;
}) {
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  const update = useIntegrationUpdate("Credentials replaced.", onDone);
  const fields = catalogueEntry(provider)?.credentialFields ?? [];
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ workspaceId, integrationId, credentials: filledIn(values) });
      }}
    >
      <ProviderFieldInputs idPrefix={id} fields={fields} values={values} onChange={setValues} secret />
      <FormActions
        error={update.isError ? errorMessage(update.error) : null}
        onCancel={onDone}
        submitLabel="Save credentials"
        pending={update.isPending}
      />
    </form>
  );
}

type Integration = RouterOutputs["integration"]["get"];

/**
 * Name, settings (the form comes from the provider's config fields) and sync interval; a URL moved
 * to another site asks for the credentials again.
 */
function EditSettings({ integration, onDone }: { integration: Integration; onDone: () => void }) {
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [name, setName] = useState(integration.name);
  const [saved] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      Object.entries(integration.config).flatMap(([key, value]) => (typeof value === "string" ? [[key, value]] : [])),
    ),
  );
  const [config, setConfig] = useState(saved);
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [interval, setSyncInterval] = useState(integration.syncIntervalSeconds);
  const update = useIntegrationUpdate("Settings saved.", onDone);
  const flat = fieldErrors(update.error);
  const entry = catalogueEntry(integration.provider);
  const newOrigin = changedOrigin(entry, saved, config);
  return (
    <form
      className="stack"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({
          workspaceId,
          integrationId: integration.id,
          name,
          config: filledIn(config),
          syncIntervalSeconds: interval,
          ...(newOrigin === null ? {} : { credentials: filledIn(credentials) }),
        });
      }}
    >
      <IntegrationNameField id={`${id}-name`} value={name} onChange={setName} error={flat.name} />
      <ProviderFieldInputs
        idPrefix={`${id}-config`}
        fields={entry?.configFields ?? []}
        values={config}
        onChange={setConfig}
      />
      {newOrigin === null ? null : (
        <CredentialsForNewOrigin
          idPrefix={`${id}-cred`}
          origin={newOrigin}
          fields={entry?.credentialFields ?? []}
          values={credentials}
          onChange={setCredentials}
        />
      )}
      <SyncIntervalField
        id={`${id}-interval`}
        value={interval}
        onChange={setSyncInterval}
        error={flat.syncIntervalSeconds}
      />
      <p className="muted small">New settings fetch the history again from the start; values already stored stay.</p>
      <FormActions
        error={update.isError ? errorMessage(update.error) : null}
        onCancel={onDone}
        submitLabel="Save settings"
        pending={update.isPending}
      />
    </form>
  );
}

/** Which KPI each of the provider's metrics writes into; managers change it in place. */
function MetricMappings({ integrationId, canManage }: { integrationId: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug } = useWorkspace();
  const metrics = useQuery(trpc.integration.metrics.queryOptions({ workspaceId, integrationId }));
  const kpis = useQuery({
    ...trpc.kpi.list.queryOptions({ workspaceId, status: "active", limit: 100 }),
    enabled: canManage,
  });
  const settle = async (message: string) => {
    await queryClient.invalidateQueries(trpc.integration.metrics.queryFilter());
    toast.success(message);
  };
  const map = useMutation(
    trpc.integration.mapMetric.mutationOptions({
      onSuccess: (metric) => settle(`“${metric.name}” now writes into “${metric.kpi.name}”.`),
    }),
  );
  const unmap = useMutation(
    trpc.integration.unmapMetric.mutationOptions({
      onSuccess: (metric) => settle(`“${metric.name}” no longer writes into a KPI.`),
    }),
  );

  if (metrics.isPending) return <Skeleton height="4rem" />;
  if (metrics.isError) return <ErrorState error={metrics.error} onRetry={() => void metrics.refetch()} />;
  const unmapped = metrics.data.every((metric) => metric.kpi === null);
  return (
    <>
      {unmapped ? (
        <p className="callout">
          Nothing is mapped yet: synced values are fetched but not stored. Choose the KPI each metric should write into.
        </p>
      ) : null}
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Provider metrics and the KPIs they write into</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Writes into</th>
            </tr>
          </thead>
          <tbody>
            {metrics.data.map((metric) => (
              <tr key={metric.key}>
                <td>
                  {metric.name} <span className="muted small">({metric.unit})</span>
                </td>
                <td>
                  {canManage ? (
                    <select
                      aria-label={`KPI for ${metric.name}`}
                      value={metric.kpi?.id ?? ""}
                      disabled={map.isPending || unmap.isPending}
                      onChange={(event) => {
                        const kpiId = event.target.value;
                        if (kpiId === "") unmap.mutate({ workspaceId, integrationId, metricKey: metric.key });
                        else map.mutate({ workspaceId, integrationId, metricKey: metric.key, kpiId });
                      }}
                    >
                      <option value="">Not mapped</option>
                      {metric.kpi && !kpis.data?.items.some((kpi) => kpi.id === metric.kpi?.id) ? (
                        <option value={metric.kpi.id}>{metric.kpi.name}</option>
                      ) : null}
                      {kpis.data?.items.map((kpi) => (
                        <option key={kpi.id} value={kpi.id}>
                          {kpi.name}
                        </option>
                      ))}
                    </select>
                  ) : metric.kpi ? (
                    <Link to={`/w/${slug}/kpis/${metric.kpi.id}`}>{metric.kpi.name}</Link>
                  ) : (
                    <span className="muted">Not mapped</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function IntegrationDetail() {
  const { integrationId = "" } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug, role } = useWorkspace();
  const canManage = can(role, "integration.manage");
  const [replacing, setReplacing] = useState(false);
  const [editing, setEditing] = useState(false);
  const integration = useQuery({
    ...trpc.integration.get.queryOptions({ workspaceId, integrationId }),
    refetchInterval: (query) =>
      query.state.data?.syncStatus === "QUEUED" || query.state.data?.syncStatus === "SYNCING" ? 2000 : false,
  });
  const syncing = integration.data?.syncStatus === "QUEUED" || integration.data?.syncStatus === "SYNCING";
  const runs = useInfiniteQuery({
    ...trpc.integration.runs.infiniteQueryOptions(
      { workspaceId, integrationId, limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
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
  const disable = useMutation(
    trpc.integration.disable.mutationOptions({
      onSuccess: () => settle("Integration disabled: it will not sync until enabled."),
    }),
  );
  const enable = useMutation(
    trpc.integration.enable.mutationOptions({ onSuccess: () => settle("Integration enabled; a sync is due now.") }),
  );

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
      <RecordPageError
        error={integration.error}
        onRetry={() => void integration.refetch()}
        notFound={
          <>
            <h1>Integration not found</h1>
            <Link to={`/w/${slug}/integrations`}>Back to integrations</Link>
          </>
        }
      />
    );
  }
  const data = integration.data;
  const input = { workspaceId, integrationId };
  const runRows = runs.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={`/w/${slug}/integrations`}>Integrations</Link> <span aria-hidden="true">/</span>{" "}
        <span>{data.name}</span>
      </nav>
      <PageHeader
        title={
          <>
            {data.name} <SyncStatusBadge status={data.syncStatus} />
          </>
        }
        description={
          <>
            {data.provider} · {formatInterval(data.syncIntervalSeconds)}
          </>
        }
        actions={
          canManage ? (
            <div className="actions">
              <MutationButton
                className="button button-primary"
                mutation={syncNow}
                input={input}
                disabled={data.syncStatus === "DISABLED" || syncing}
              >
                {syncing ? "Syncing…" : "Sync now"}
              </MutationButton>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setEditing(true);
                }}
              >
                Edit settings
              </button>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setReplacing(true);
                }}
              >
                Replace credentials
              </button>
              {data.syncStatus === "DISABLED" ? (
                <MutationButton className="button" mutation={enable} input={input}>
                  Enable
                </MutationButton>
              ) : (
                <MutationButton className="button" mutation={disable} input={input}>
                  Disable
                </MutationButton>
              )}
            </div>
          ) : null
        }
      />

      {data.lastErrorCode || data.lastErrorMessage ? (
        <div
          className={data.syncStatus === "FAILED" || data.syncStatus === "DISABLED" ? "callout callout-bad" : "callout"}
          role="status"
        >
          <strong>Last error {formatRelative(data.lastErrorAt)}:</strong>{" "}
          {plainError(data.lastErrorCode, data.lastErrorMessage)}
        </div>
      ) : null}

      <section className="card section" aria-label="Details">
        <dl className="details">
          <dt>Last successful sync</dt>
          <dd>
            {data.lastSyncedAt
              ? `${formatRelative(data.lastSyncedAt)} (${formatDateTime(data.lastSyncedAt)})`
              : "Never"}
          </dd>
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
              <dd className="mono">
                {typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value)}
              </dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="card section" aria-labelledby="metrics-title">
        <h2 id="metrics-title">Metrics and KPIs</h2>
        <MetricMappings integrationId={integrationId} canManage={canManage} />
      </section>

      <section className="card section" aria-labelledby="runs-title">
        <h2 id="runs-title">Run history</h2>
        <Loaded query={runs} placeholder={<Skeleton height="8rem" />}>
          {() =>
            runRows.length === 0 ? (
              <EmptyState title="No runs yet">
                {data.syncStatus === "DISABLED"
                  ? "Enable the integration to start syncing."
                  : "The first sync runs shortly after connecting, or press Sync now."}
              </EmptyState>
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
                          <td>
                            {run.finishedAt
                              ? `${Math.max(0, Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10)} s`
                              : "running"}
                          </td>
                          <td>{run.status === "FAILED" ? plainError(run.errorCode, run.errorMessage) : ""}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {runs.hasNextPage ? (
                  <button
                    type="button"
                    className="button"
                    disabled={runs.isFetchingNextPage}
                    onClick={() => void runs.fetchNextPage()}
                  >
                    {runs.isFetchingNextPage ? "Loading…" : "Older runs"}
                  </button>
                ) : null}
              </>
            )
          }
        </Loaded>
      </section>
      <Dialog
        open={editing}
        title="Edit settings"
        onClose={() => {
          setEditing(false);
        }}
      >
        {editing ? (
          <EditSettings
            integration={data}
            onDone={() => {
              setEditing(false);
            }}
          />
        ) : null}
      </Dialog>
      <Dialog
        open={replacing}
        title="Replace credentials"
        onClose={() => {
          setReplacing(false);
        }}
      >
        <ReplaceCredentials
          integrationId={integrationId}
          provider={data.provider}
          onDone={() => {
            setReplacing(false);
          }}
        />
      </Dialog>
    </div>
  );
}
