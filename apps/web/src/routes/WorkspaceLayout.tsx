import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate, useNavigation, useParams } from "react-router";
import { ErrorState } from "../components/Feedback.tsx";
import { InvitationsNotice } from "../components/InvitationsNotice.tsx";
import { PageSkeleton } from "../components/PageSkeleton.tsx";
import { errorCode } from "../lib/errors.ts";
import { useTRPC } from "../trpc.ts";
import { type CurrentWorkspace, rememberWorkspace, WorkspaceContext } from "../workspace.ts";

// The shell around every workspace page: the workspace switcher, the navigation, the signed-in
// person and sign-out. The slug in the URL names the workspace (looked up here); every call
// inside passes its id.

const newWorkspaceValue = "__new__";

const links = [
  { to: "", label: "Dashboard", end: true },
  { to: "goals", label: "Goals", end: false },
  { to: "integrations", label: "Integrations", end: false },
  { to: "members", label: "Members", end: false },
  { to: "settings", label: "Settings", end: false },
  { to: "billing", label: "Billing", end: false },
];

export function WorkspaceLayout() {
  const { slug = "" } = useParams();
  const trpc = useTRPC();
  const navigate = useNavigate();
  const navigation = useNavigation();
  const me = useQuery(trpc.me.get.queryOptions());
  const workspaces = useQuery(trpc.me.workspaces.queryOptions());
  const workspace = useQuery(trpc.workspace.get.queryOptions({ workspaceSlug: slug }));
  const nav = useRef<HTMLElement>(null);
  const { pathname } = useLocation();

  // On a narrow screen the navigation scrolls sideways: keep the current page's link in view.
  useEffect(() => {
    nav.current?.querySelector(".nav-link.active")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [pathname]);

  useEffect(() => {
    if (workspace.isSuccess) rememberWorkspace(slug);
  }, [workspace.isSuccess, slug]);

  const current = useMemo<CurrentWorkspace | null>(
    () =>
      workspace.data
        ? {
            id: workspace.data.id,
            slug: workspace.data.slug,
            name: workspace.data.name,
            role: workspace.data.role,
            plan: workspace.data.plan,
          }
        : null,
    [workspace.data],
  );

  let content;
  if (workspace.isPending) content = <PageSkeleton />;
  else if (workspace.isError) {
    content =
      errorCode(workspace.error) === "NOT_FOUND" ? (
        <div className="page">
          <div className="panel">
            <h1>Workspace not found</h1>
            <p>
              There is no workspace at “{slug}”, or you are not a member of it. Ask an owner to invite you, or pick
              another workspace.
            </p>
            <Link className="button button-primary" to="/">
              Go to my workspaces
            </Link>
          </div>
        </div>
      ) : (
        <div className="page">
          <ErrorState error={workspace.error} onRetry={() => void workspace.refetch()} />
        </div>
      );
  } else {
    content = (
      <WorkspaceContext value={current}>
        <Outlet />
      </WorkspaceContext>
    );
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {navigation.state === "loading" ? (
        <div className="route-progress" role="progressbar" aria-label="Loading page" />
      ) : null}
      <header className="topbar">
        <Link to={`/w/${slug}`} className="brand" aria-label="Northstar home">
          <span className="brand-mark" aria-hidden="true">
            ✦
          </span>
          <span className="brand-name">Northstar</span>
        </Link>
        <label className="switcher">
          <span className="visually-hidden">Workspace</span>
          <select
            value={slug}
            onChange={(event) => {
              const value = event.target.value;
              void navigate(value === newWorkspaceValue ? "/welcome" : `/w/${value}`);
            }}
          >
            {workspaces.data?.some((item) => item.slug === slug) ? null : (
              <option value={slug}>{workspace.data?.name ?? slug}</option>
            )}
            {workspaces.data?.map((item) => (
              <option key={item.id} value={item.slug}>
                {item.name}
              </option>
            ))}
            <option value={newWorkspaceValue}>＋ New workspace…</option>
          </select>
        </label>
        <div className="topbar-user">
          <span className="user-name" title={me.data?.email}>
            {me.data?.name ?? ""}
          </span>
          <form method="post" action="/auth/sign-out">
            <button type="submit" className="button button-quiet">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <nav className="nav" aria-label="Workspace" ref={nav}>
        {links.map((link) => (
          <NavLink
            key={link.label}
            to={link.to === "" ? `/w/${slug}` : `/w/${slug}/${link.to}`}
            end={link.end}
            className={({ isActive }) => (isActive ? "nav-link active" : "nav-link")}
          >
            {link.label}
          </NavLink>
        ))}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <InvitationsNotice />
        {content}
      </main>
    </div>
  );
}
