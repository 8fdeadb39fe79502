import type { UseInfiniteQueryResult, UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorState } from "./Feedback.tsx";

// A query's part of a page: its placeholder while the first answer is on the way, the error with
// "Try again" when it failed, and what the page makes of the data once it is there.

export function Loaded<TData>({
  query,
  placeholder,
  children,
}: {
  query: UseQueryResult<TData, unknown> | UseInfiniteQueryResult<TData, unknown>;
  placeholder: ReactNode;
  children: (data: TData) => ReactNode;
}) {
  if (query.isPending) return placeholder;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return children(query.data);
}
