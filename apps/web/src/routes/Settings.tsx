import { workspaceRules } from "@northstar/core/field-rules";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import { ApiKeys } from "../components/ApiKeys.tsx";
import { Field } from "../components/Feedback.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { useToast } from "../components/Toasts.tsx";
import { errorMessage, fieldErrors } from "../lib/errors.ts";
import { can } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Workspace settings: rename (owners and admins), API keys (owners and admins), delete (owners,
// typing the slug to confirm).

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

      {can(role, "apiKey.manage") ? <ApiKeys workspaceId={workspaceId} /> : null}

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
