import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorMessage, fieldErrors } from "../lib/errors.ts";
import { formatDate, formatRelative } from "../lib/format.ts";
import { type RouterInputs, useTRPC } from "../trpc.ts";
import { Badge, Field, Skeleton } from "./Feedback.tsx";
import { Loaded } from "./Loaded.tsx";
import { MutationButton } from "./MutationButton.tsx";

// Settings → API keys (owners and admins): make a key for a script or another system, see it once
// and copy it, see when each key was last used, revoke one. The REST API's reference is linked.

type ApiKeyScope = RouterInputs["apiKey"]["create"]["scopes"][number];
// The API's scopes (@northstar/core's apiKeyScopes; its schemas module stays out of the bundle).
const apiKeyScopes = ["read", "write"] as const satisfies readonly ApiKeyScope[];

const scopeChoices: Record<ApiKeyScope, { label: string; scopes: ApiKeyScope[] }> = {
  read: { label: "Read", scopes: ["read"] },
  write: { label: "Read and write", scopes: ["read", "write"] },
};

function NewKey({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="stack" role="status" aria-live="polite">
      <p>
        <strong>Copy this key now:</strong> it is shown only once. Send it as <code>Authorization: Bearer …</code>.
      </p>
      <code data-testid="new-api-key" className="api-key-secret">
        {secret}
      </code>
      <div className="inline-form">
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            void navigator.clipboard.writeText(secret).then(() => {
              setCopied(true);
            });
          }}
        >
          {copied ? "Copied" : "Copy key"}
        </button>
        <button type="button" className="button button-quiet" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

export function ApiKeys({ workspaceId }: { workspaceId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { name: useId(), scope: useId() };
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiKeyScope>("write");
  const [secret, setSecret] = useState<string | null>(null);
  const listOptions = trpc.apiKey.list.queryOptions({ workspaceId });
  const keys = useQuery(listOptions);
  const create = useMutation(
    trpc.apiKey.create.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (created) => {
        setSecret(created.key);
        setName("");
        await queryClient.invalidateQueries(trpc.apiKey.list.queryFilter());
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKey.revoke.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.apiKey.list.queryFilter());
      },
    }),
  );
  const errors = fieldErrors(create.error);

  return (
    <section className="card section" aria-labelledby="api-keys-title">
      <h2 id="api-keys-title">API keys</h2>
      <p className="muted small">
        Scripts and other systems push and read KPI data with a key through the REST API (
        <a href="/api/v1/docs">reference</a>). A key acts in this workspace only; a read key cannot change anything.
      </p>
      {secret ? (
        <NewKey
          secret={secret}
          onDone={() => {
            setSecret(null);
          }}
        />
      ) : (
        <form
          className="inline-form"
          aria-label="Create an API key"
          noValidate
          onSubmit={(event: React.SubmitEvent<HTMLFormElement>) => {
            event.preventDefault();
            create.mutate({ workspaceId, name, scopes: scopeChoices[scope].scopes });
          }}
        >
          <Field
            label="Key name"
            htmlFor={ids.name}
            error={errors.name ?? (create.isError ? errorMessage(create.error) : undefined)}
          >
            <input
              id={ids.name}
              value={name}
              maxLength={80}
              placeholder="Nightly export"
              onChange={(event) => {
                setName(event.target.value);
              }}
            />
          </Field>
          <Field label="Access" htmlFor={ids.scope}>
            <select
              id={ids.scope}
              value={scope}
              onChange={(event) => {
                const chosen = apiKeyScopes.find((value) => value === event.target.value);
                if (chosen) setScope(chosen);
              }}
            >
              {apiKeyScopes.map((value) => (
                <option key={value} value={value}>
                  {scopeChoices[value].label}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="button button-primary" disabled={create.isPending || name.trim() === ""}>
            Create key
          </button>
        </form>
      )}
      <Loaded query={keys} placeholder={<Skeleton height="3rem" />}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No keys yet.</p>
          ) : (
            <ul className="list" aria-label="API keys">
              {list.map((key) => (
                <li key={key.id} className="list-row" data-testid={`api-key-${key.publicId}`}>
                  <div className="member-name">
                    <strong>{key.name}</strong>
                    <span className="muted small">
                      <code>ns_live_{key.publicId}_…</code> · made by {key.createdBy.name} on{" "}
                      {formatDate(key.createdAt)}
                    </span>
                  </div>
                  <Badge tone={key.scopes.includes("write") ? "warn" : "neutral"}>
                    {key.scopes.includes("write") ? "Read and write" : "Read"}
                  </Badge>
                  <span className="muted small">
                    {key.lastUsedAt ? `used ${formatRelative(key.lastUsedAt)}` : "never used"}
                  </span>
                  {key.revokedAt ? (
                    <span className="muted small">revoked {formatDate(key.revokedAt)}</span>
                  ) : (
                    <MutationButton
                      mutation={revoke}
                      input={{ workspaceId, keyId: key.id }}
                      className="button button-small button-quiet"
                      confirm={`Revoke “${key.name}”? Scripts using it are refused from their next request.`}
                    >
                      Revoke
                    </MutationButton>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      {revoke.isError ? <p role="alert">{errorMessage(revoke.error)}</p> : null}
    </section>
  );
}
