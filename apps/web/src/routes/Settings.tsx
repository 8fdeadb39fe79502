import { workspaceRules } from "@northstar/core/field-rules";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { ApiKeys } from "../components/ApiKeys.tsx";
import { Field } from "../components/Feedback.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { ExportData } from "../components/ExportData.tsx";
import { useToast } from "../components/Toasts.tsx";
import { errorMessage, fieldErrors } from "../lib/errors.ts";
import { can } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Workspace settings: rename and set the time zone (owners and admins), API keys (owners and
// admins), export (owners), delete (owners, typing the slug to confirm).

/** The zones this browser knows (IANA names), UTC first; the server checks the choice against PostgreSQL's. */
function timeZoneNames(current: string): string[] {
  const names = Intl.supportedValuesOf("timeZone").filter((name) => name !== "UTC");
  if (current !== "UTC" && !names.includes(current)) names.push(current);
  return ["UTC", ...names.sort()];
}

function browserTimeZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The workspace's time zone: where days, weeks and months start in charts, the dashboard and goals. */
function TimeZoneSection({ canChange }: { canChange: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, slug } = useWorkspace();
  const selectId = useId();
  // The same query (and cache entry) as the workspace shell's.
  const workspace = useQuery(trpc.workspace.get.queryOptions({ workspaceSlug: slug }));
  const current = workspace.data?.timeZone ?? "UTC";
  const [chosen, setChosen] = useState<string | null>(null);
  const value = chosen ?? current;
  const names = useMemo(() => timeZoneNames(current), [current]);
  const browser = browserTimeZone();
  const update = useMutation(
    trpc.workspace.update.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (saved) => {
        toast.success(`Time zone set to ${saved.timeZone}.`);
        setChosen(null);
        await queryClient.invalidateQueries(trpc.workspace.get.queryFilter());
        // Buckets, periods and goal progress all move with the zone.
        await queryClient.invalidateQueries(trpc.kpi.pathFilter());
        await queryClient.invalidateQueries(trpc.goal.pathFilter());
      },
    }),
  );
  const errors = fieldErrors(update.error);

  return (
    <section className="card section" aria-labelledby="time-zone-title">
      <h2 id="time-zone-title">Time zone</h2>
      <p className="muted small">
        Days, weeks (from Monday) and months start at midnight here, in charts, the dashboard and goals; dates without a
        time zone (in imports and the API) are read in it.
      </p>
      {canChange ? (
        <form
          className="inline-form"
          noValidate
          onSubmit={(event: React.SubmitEvent<HTMLFormElement>) => {
            event.preventDefault();
            update.mutate({ workspaceId, timeZone: value });
          }}
        >
          <Field
            label="Time zone"
            htmlFor={selectId}
            error={errors.timeZone ?? (update.isError ? errorMessage(update.error) : undefined)}
            hint={browser && browser !== value ? `This browser is in ${browser}.` : undefined}
          >
            <select
              id={selectId}
              value={value}
              onChange={(event) => {
                setChosen(event.target.value);
              }}
            >
              {names.map((name) => (
                <option key={name} value={name}>
                  {name.replaceAll("_", " ")}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="button button-primary" disabled={update.isPending || value === current}>
            Save time zone
          </button>
        </form>
      ) : (
        <p>
          {current} <span className="muted">(owners and admins can change it)</span>
        </p>
      )}
    </section>
  );
}

export function Settings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const { id: workspaceId, slug, name, role } = useWorkspace();
  const ids = { name: useId(), confirm: useId() };
  const [newName, setNewName] = useState(name);
  const [confirm, setConfirm] = useState("");
  const rename = useMutation(
    trpc.workspace.rename.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (workspace) => {
        toast.success(`Renamed to “${workspace.name}”.`);
        await queryClient.invalidateQueries(trpc.workspace.get.queryFilter());
        await queryClient.invalidateQueries(trpc.me.workspaces.queryFilter());
      },
    }),
  );
  const remove = useMutation(
    trpc.workspace.delete.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async () => {
        toast.success(`Workspace “${name}” deleted.`);
        await queryClient.invalidateQueries(trpc.me.workspaces.queryFilter());
        void navigate("/", { replace: true });
      },
    }),
  );
  const renameErrors = fieldErrors(rename.error);
  const canRename = can(role, "workspace.update");
  const canDelete = can(role, "workspace.delete");

  return (
    <div className="page">
      <PageHeader title="Settings" />
      <section className="card section" aria-labelledby="rename-title">
        <h2 id="rename-title">Name</h2>
        {canRename ? (
          <form
            className="inline-form"
            noValidate
            onSubmit={(event: React.SubmitEvent<HTMLFormElement>) => {
              event.preventDefault();
              rename.mutate({ workspaceId, name: newName });
            }}
          >
            <Field
              label="Workspace name"
              htmlFor={ids.name}
              error={renameErrors.name ?? (rename.isError ? errorMessage(rename.error) : undefined)}
            >
              <input
                id={ids.name}
                value={newName}
                maxLength={workspaceRules.nameMax}
                onChange={(event) => {
                  setNewName(event.target.value);
                }}
              />
            </Field>
            <button
              type="submit"
              className="button button-primary"
              disabled={rename.isPending || newName.trim() === "" || newName.trim() === name}
            >
              Rename
            </button>
          </form>
        ) : (
          <p>
            {name} <span className="muted">(owners and admins can rename it)</span>
          </p>
        )}
        <p className="muted small">The address stays /w/{slug}.</p>
      </section>

      <TimeZoneSection canChange={canRename} />

      {can(role, "apiKey.manage") ? <ApiKeys workspaceId={workspaceId} /> : null}

      <ExportData workspaceId={workspaceId} role={role} />

      <section className="card section danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete the workspace</h2>
        {canDelete ? (
          <form
            className="stack"
            noValidate
            onSubmit={(event: React.SubmitEvent<HTMLFormElement>) => {
              event.preventDefault();
              remove.mutate({ workspaceId, confirmSlug: confirm });
            }}
          >
            <p>
              This deletes every KPI, value, goal and integration in “{name}”, for every member. It cannot be undone.
            </p>
            <Field
              label={`Type ${slug} to confirm`}
              htmlFor={ids.confirm}
              error={remove.isError ? errorMessage(remove.error) : undefined}
            >
              <input
                id={ids.confirm}
                value={confirm}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => {
                  setConfirm(event.target.value);
                }}
              />
            </Field>
            <div>
              <button type="submit" className="button button-danger" disabled={confirm !== slug || remove.isPending}>
                {remove.isPending ? "Deleting…" : "Delete this workspace"}
              </button>
            </div>
          </form>
        ) : (
          <p className="muted">Only an owner can delete the workspace.</p>
        )}
      </section>
    </div>
  );
}
