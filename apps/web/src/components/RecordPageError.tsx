import type { ReactNode } from "react";
import { errorCode } from "../lib/errors.ts";
import { ErrorState } from "./Feedback.tsx";

// The page about one record (a KPI, an integration) when the record did not load: a record that
// is not there gets its own panel with the way back; any other failure, the error and Try again.

export function RecordPageError({
  error,
  onRetry,
  notFound,
}: {
  error: unknown;
  onRetry: () => void;
  notFound: ReactNode;
}) {
  return (
    <div className="page">
      {errorCode(error) === "NOT_FOUND" ? (
        <div className="panel">{notFound}</div>
      ) : (
        <ErrorState error={error} onRetry={onRetry} />
      )}
    </div>
  );
}
