import { workspaceRules } from "@northstar/core/field-rules";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Field, FormError } from "../components/Feedback.tsx";
import { MyInvitations } from "../components/MyInvitations.tsx";
import { useToast } from "../components/Toasts.tsx";
import { fieldErrors, formError } from "../lib/errors.ts";
import { useTRPC } from "../trpc.ts";

// Onboarding and "new workspace": answer the invitations waiting for me (accept or decline each),
// go to a workspace I am in, or create one.

export function Welcome() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const ids = { name: useId(), slug: useId() };
  const workspaces = useQuery(trpc.me.workspaces.queryOptions());
  const me = useQuery(trpc.me.get.queryOptions());
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [debouncedName, setDebouncedName] = useState("");

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setDebouncedName(name.trim());
    }, 250);
    return () => {
      window.clearTimeout(timer);
    };
  }, [name]);

  const suggestion = useQuery({
    ...trpc.workspace.suggestSlug.queryOptions({ name: debouncedName }),
    enabled: debouncedName.length > 0 && !slugEdited,
  });
  const shownSlug = slugEdited ? slug : (suggestion.data?.slug ?? "");

  const create = useMutation(
    trpc.workspace.create.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (workspace) => {
        await queryClient.invalidateQueries(trpc.me.workspaces.queryFilter());
        toast.success(`Workspace “${workspace.name}” created.`);
        void navigate(`/w/${workspace.slug}`);
      },
    }),
  );

  const errors = fieldErrors(create.error);
  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), slug: shownSlug });
  };
  const first = workspaces.data?.length === 0;

  return (
    <main className="centered-page">
      <div className="panel welcome">
        <h1>{first ? "Welcome to Northstar" : "New workspace"}</h1>
        {first ? (
          <p className="muted">
            A workspace holds your team’s KPIs, goals and integrations. Accept an invitation to join one, or create your
            own.
          </p>
        ) : null}

        <section aria-labelledby="invites-title" className="section">
          <h2 id="invites-title">Invitations</h2>
          <p className="muted">
            Invitations sent to {me.data?.email ?? "your email"} wait here for your answer: you join a workspace only by
            accepting its invitation.
          </p>
          <MyInvitations />
          {workspaces.data && workspaces.data.length > 0 ? (
            <ul className="plain-list">
              {workspaces.data.map((workspace) => (
                <li key={workspace.id}>
                  <Link to={`/w/${workspace.slug}`}>{workspace.name}</Link>{" "}
                  <span className="muted">({workspace.role.toLowerCase()})</span>
                </li>
              ))}
            </ul>
          ) : null}
        </section>

        <section aria-labelledby="create-title" className="section">
          <h2 id="create-title">Create a workspace</h2>
          <form onSubmit={submit} className="stack" noValidate>
            <Field label="Name" htmlFor={ids.name} error={errors.name}>
              <input
                id={ids.name}
                value={name}
                required
                maxLength={workspaceRules.nameMax}
                placeholder="Acme Inc."
                autoComplete="organization"
                onChange={(event) => {
                  setName(event.target.value);
                }}
              />
            </Field>
            <Field label="URL" htmlFor={ids.slug} error={errors.slug} hint={`northstar/w/${shownSlug || "your-team"}`}>
              <input
                id={ids.slug}
                value={shownSlug}
                required
                pattern={workspaceRules.slugPattern}
                minLength={workspaceRules.slugMin}
                maxLength={workspaceRules.slugMax}
                placeholder="acme"
                onChange={(event) => {
                  setSlugEdited(true);
                  setSlug(event.target.value.toLowerCase());
                }}
              />
            </Field>
            <FormError message={formError(create.error)} />
            <button
              type="submit"
              className="button button-primary"
              disabled={create.isPending || name.trim() === "" || shownSlug === ""}
            >
              {create.isPending ? "Creating…" : "Create workspace"}
            </button>
          </form>
        </section>
      </div>
    </main>
  );
}
