import { useQuery } from "@tanstack/react-query";
import { Navigate } from "react-router";
import { ErrorState } from "../components/Feedback.tsx";
import { PageSkeleton } from "../components/PageSkeleton.tsx";
import { useTRPC } from "../trpc.ts";
import { lastWorkspace } from "../workspace.ts";

/** "/": the workspace used last, else the first, else onboarding; signed out: sign-in. */
export function Home() {
  const trpc = useTRPC();
  const workspaces = useQuery(trpc.me.workspaces.queryOptions());
  if (workspaces.isPending) return <PageSkeleton />;
  if (workspaces.isError) return <ErrorState error={workspaces.error} onRetry={() => void workspaces.refetch()} />;
  const list = workspaces.data;
  const last = lastWorkspace();
  const target = list.find((workspace) => workspace.slug === last) ?? list[0];
  if (!target) return <Navigate to="/welcome" replace />;
  return <Navigate to={`/w/${target.slug}`} replace />;
}
