import type { CatalogueProvider } from "@northstar/core/providers";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Dialog } from "../components/Dialog.tsx";
import { CardSkeletons, EmptyState, FormActions } from "../components/Feedback.tsx";
import { catalogue, catalogueEntry, formatInterval, plainError, SyncStatusBadge } from "../components/Integration.tsx";
import {
  filledIn,
  IntegrationNameField,
  ProviderFieldInputs,
  SyncIntervalField,
} from "../components/IntegrationFields.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { useToast } from "../components/Toasts.tsx";
import { errorMessage, fieldErrors } from "../lib/errors.ts";
import { formatRelative } from "../lib/format.ts";
import { can } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Connected integrations with their sync state, and the catalogue to connect another.

function ConnectForm({
  provider,
  onDone,
  onCancel,
}: {
  provider: CatalogueProvider;
  onDone: (id: string) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [name, setName] = useState(provider.name);
  const [interval, setSyncInterval] = useState(3600);
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [config, setConfig] = useState<Record<string, string>>({});
  const connect = useMutation(
    trpc.integration.connect.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (integration) => {
        await queryClient.invalidateQueries(trpc.integration.pathFilter());
        await queryClient.invalidateQueries(trpc.subscription.pathFilter());
        toast.success(`“${integration.name}” connected; the first sync is queued.`);
        onDone(integration.id);
      },
    }),
  );
  const flat = fieldErrors(connect.error);
  // A provider's schema reports under credentials.x / config.x; zod flattens to the top key, so
  // show the message by the group and in the summary.

  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    connect.mutate({
      workspaceId,
      provider: provider.id,
      name,
      credentials: filledIn(credentials),
      config: filledIn(config),
      syncIntervalSeconds: interval,
    });
  };

  return (
    <form onSubmit={submit} className="stack" noValidate>
      <p className="muted">{provider.description}</p>
      <IntegrationNameField id={`${id}-name`} value={name} onChange={setName} error={flat.name} />
      <ProviderFieldInputs
        idPrefix={`${id}-config`}
        fields={provider.configFields}
        values={config}
        onChange={setConfig}
      />
      <fieldset className="stack">
        <legend>Credentials</legend>
        <p className="muted small">
          Stored encrypted; never shown again.
          {provider.originField
            ? " Sent only to the site of the URL above: a URL on another site needs them again."
            : ""}
        </p>
        <ProviderFieldInputs
          idPrefix={`${id}-cred`}
          fields={provider.credentialFields}
          values={credentials}
          onChange={setCredentials}
          secret
        />
      </fieldset>
      <SyncIntervalField
        id={`${id}-interval`}
        value={interval}
        onChange={setSyncInterval}
        error={flat.syncIntervalSeconds}
      />
      <FormActions
        error={connect.isError ? errorMessage(connect.error) : null}
        onCancel={onCancel}
        submitLabel="Connect"
        pendingLabel="Connecting…"
        pending={connect.isPending}
      />
    </form>
  );
}

export function Integrations() {
  const trpc = useTRPC();
  const { id: workspaceId, slug, role } = useWorkspace();
  const navigate = useNavigate();
  const [connecting, setConnecting] = useState<CatalogueProvider | null>(null);
  const integrations = useQuery({
    ...trpc.integration.list.queryOptions({ workspaceId }),
    // While a sync is queued or running, look again every few seconds.
    refetchInterval: (query) =>
      query.state.data?.some((item) => item.syncStatus === "QUEUED" || item.syncStatus === "SYNCING") ? 3000 : false,
  });
  const canManage = can(role, "integration.manage");

  return (
    <div className="page">
      <PageHeader
        title="Integrations"
        description="Integrations fetch KPI values on a schedule, so nobody types them in."
      />

      <section className="section" aria-labelledby="connected-title">
        <h2 id="connected-title">Connected</h2>
        <Loaded query={integrations} placeholder={<CardSkeletons count={2} height="4rem" />}>
          {(connected) =>
            connected.length === 0 ? (
              <EmptyState title="Nothing connected yet">
                {canManage
                  ? "Pick a provider below to start syncing values."
                  : "An owner or admin can connect a provider."}
              </EmptyState>
            ) : (
              <ul className="list">
                {connected.map((integration) => (
                  <li key={integration.id} className="list-row integration-row">
                    <div className="integration-name">
                      <Link to={`/w/${slug}/integrations/${integration.id}`}>{integration.name}</Link>
                      <span className="muted small">
                        {catalogueEntry(integration.provider)?.name ?? integration.provider} ·{" "}
                        {formatInterval(integration.syncIntervalSeconds)}
                      </span>
                    </div>
                    <SyncStatusBadge status={integration.syncStatus} />
                    <span className="muted small">Last sync {formatRelative(integration.lastSyncedAt)}</span>
                    {integration.syncStatus === "FAILED" ||
                    (integration.syncStatus === "DISABLED" && integration.lastErrorCode) ? (
                      <p className="row-error">{plainError(integration.lastErrorCode, integration.lastErrorMessage)}</p>
                    ) : null}
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>

      <section className="section" aria-labelledby="catalogue-title">
        <h2 id="catalogue-title">Connect a provider</h2>
        <div className="card-grid">
          {catalogue.map((provider) => (
            <article key={provider.id} className="card provider-card">
              <h3>{provider.name}</h3>
              <p className="muted small">{provider.description}</p>
              <p className="small">Measures: {provider.metrics.map((metric) => metric.name).join(", ")}</p>
              {canManage ? (
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setConnecting(provider);
                  }}
                >
                  Connect {provider.name}
                </button>
              ) : null}
            </article>
          ))}
        </div>
      </section>

      <Dialog
        open={connecting !== null}
        title={`Connect ${connecting?.name ?? ""}`}
        onClose={() => {
          setConnecting(null);
        }}
      >
        {connecting ? (
          <ConnectForm
            provider={connecting}
            onCancel={() => {
              setConnecting(null);
            }}
            onDone={(integrationId) => {
              setConnecting(null);
              // Next: map its metrics to KPIs, on its own page.
              void navigate(`/w/${slug}/integrations/${integrationId}`);
            }}
          />
        ) : null}
      </Dialog>
    </div>
  );
}
