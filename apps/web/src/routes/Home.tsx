import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Navigate } from "react-router";
import { ErrorState } from "../components/Feedback.tsx";
import { PageSkeleton } from "../components/PageSkeleton.tsx";
import { useTRPC } from "../trpc.ts";
import { clearReturn, lastWorkspace, peekReturn } from "../workspace.ts";

/** "/": the workspace used last, else the first, else onboarding; signed out: sign-in. */
export function Home() {
  const trpc = useTRPC();
  const workspaces = useQuery(trpc.me.workspaces.queryOptions());
  // Sent to sign in from a page: back to that page. Read once; later renders keep the answer.
  const [back] = useState(peekReturn);
  useEffect(() => {
    clearReturn();
  }, []);
  if (workspaces.isPending) return <PageSkeleton />;
  if (workspaces.isError) return <ErrorState error={workspaces.error} onRetry={() => void workspaces.refetch()} />;
  const list = workspaces.data;
  if (back) return <Navigate to={back} replace />;
  const last = lastWorkspace();
  const target = list.find((workspace) => workspace.slug === last) ?? list[0];
  if (!target) return <Navigate to="/welcome" replace />;
  return <Navigate to={`/w/${target.slug}`} replace />;
}
