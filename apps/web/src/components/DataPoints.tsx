import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorMessage, fieldErrors, formError, lineErrors } from "../lib/errors.ts";
import { LineErrors } from "./LineErrors.tsx";
import { formatDateTime, formatShortDateTime, formatValue, toLocalInput } from "../lib/format.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";
import { EmptyState, ErrorState, Field, FormError, Skeleton } from "./Feedback.tsx";
import { useToast } from "./Toasts.tsx";

// A KPI's raw values: the newest first, a page at a time; add one by hand, import many from CSV,
// delete a wrong one.

type Point = RouterOutputs["kpi"]["points"]["items"][number];
const pageSize = 20;
const sourceLabels: Record<Point["source"], string> = {
  MANUAL: "Manual",
  IMPORT: "Import",
  INTEGRATION: "Integration",
  API: "API",
};

export function DataPointsTable({
  kpiId,
  unit,
  canWrite,
  onChanged,
}: {
  kpiId: string;
  unit: string;
  canWrite: boolean;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const [page, setPage] = useState(0);
  // Pages come from the API as they are asked for (a cursor each); the ones seen stay loaded.
  const pointsOptions = trpc.kpi.points.infiniteQueryOptions(
    { workspaceId, kpiId, limit: pageSize },
    { getNextPageParam: (last) => last.nextCursor ?? undefined },
  );
  const points = useInfiniteQuery(pointsOptions);

  const remove = useMutation(
    trpc.kpi.deletePoint.mutationOptions({
      // Optimistic: the row goes at once, and comes back if the API refuses.
      onMutate: async ({ pointId }) => {
        await queryClient.cancelQueries({ queryKey: pointsOptions.queryKey });
        const before = queryClient.getQueryData(pointsOptions.queryKey);
        queryClient.setQueryData(pointsOptions.queryKey, (current) =>
          current
            ? {
                ...current,
                pages: current.pages.map((page) => ({
                  ...page,
                  items: page.items.filter((point) => point.id !== pointId),
                })),
              }
            : current,
        );
        return { before };
      },
      onError: (_error, _input, context) => {
        if (context?.before) queryClient.setQueryData(pointsOptions.queryKey, context.before);
      },
      onSuccess: () => {
        toast.success("Value deleted.");
        onChanged();
      },
      onSettled: () => queryClient.invalidateQueries(trpc.kpi.pathFilter()),
    }),
  );

  if (points.isPending) return <Skeleton height="20rem" />;
  if (points.isError) return <ErrorState error={points.error} onRetry={() => void points.refetch()} />;
  const loaded = points.data.pages;
  if (loaded.every((loadedPage) => loadedPage.items.length === 0)) {
    return (
      <EmptyState title="No values yet">
        {canWrite
          ? "Add the first value above, or import a CSV of past values."
          : "Values appear here once someone adds them."}
      </EmptyState>
    );
  }
  const current = Math.min(page, loaded.length - 1);
  const shown = loaded[current]?.items ?? [];
  const hasOlder = current < loaded.length - 1 || points.hasNextPage;
  const older = async () => {
    if (current === loaded.length - 1) await points.fetchNextPage();
    setPage(current + 1);
  };

  return (
    <div>
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Values, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col" className="numeric">
                Value
              </th>
              <th scope="col" className="hide-narrow">
                Source
              </th>
              {canWrite ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((point) => (
              <tr key={point.id}>
                <td className="nowrap">{formatShortDateTime(point.timestamp)}</td>
                <td className="numeric nowrap">{formatValue(point.value, unit)}</td>
                <td className="hide-narrow">{sourceLabels[point.source]}</td>
                {canWrite ? (
                  <td className="row-actions">
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      aria-label={`Delete the value of ${formatDateTime(point.timestamp)}`}
                      onClick={() => {
                        remove.mutate({ workspaceId, pointId: point.id });
                      }}
                    >
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages of values">
        <button
          type="button"
          className="button button-small"
          disabled={current === 0}
          onClick={() => {
            setPage(current - 1);
          }}
        >
          Newer
        </button>
        <span>
          Page {current + 1}
          {points.hasNextPage ? "" : ` of ${loaded.length}`}
        </span>
        <button
          type="button"
          className="button button-small"
          disabled={!hasOlder || points.isFetching}
          onClick={() => void older()}
        >
          {points.isFetchingNextPage ? "Loading…" : "Older"}
        </button>
      </nav>
    </div>
  );
}

export function AddPointForm({ kpiId, onAdded }: { kpiId: string; onAdded: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [value, setValue] = useState("");
  const [time, setTime] = useState(() => toLocalInput(new Date()));
  const [valueError, setValueError] = useState<string | null>(null);
  const record = useMutation(
    trpc.kpi.recordPoint.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async () => {
        setValue("");
        setTime(toLocalInput(new Date()));
        toast.success("Value added.");
        onAdded();
        await queryClient.invalidateQueries(trpc.kpi.pathFilter());
        await queryClient.invalidateQueries(trpc.goal.pathFilter());
      },
    }),
  );
  const errors = fieldErrors(record.error);

  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const number = Number(value.replace(/[\s,]/g, ""));
    if (value.trim() === "" || !Number.isFinite(number)) {
      setValueError("Enter a number, e.g. 1250 or 3.5");
      return;
    }
    setValueError(null);
    record.mutate({ workspaceId, kpiId, value: number, timestamp: new Date(time) });
  };

  return (
    <form onSubmit={submit} className="inline-form" noValidate aria-label="Add a value">
      <Field label="Value" htmlFor={`${id}-value`} error={valueError ?? errors.value}>
        <input
          id={`${id}-value`}
          inputMode="decimal"
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
          }}
          required
        />
      </Field>
      <Field label="Time" htmlFor={`${id}-time`} error={errors.timestamp}>
        <input
          id={`${id}-time`}
          type="datetime-local"
          value={time}
          onChange={(event) => {
            setTime(event.target.value);
          }}
          required
        />
      </Field>
      <button type="submit" className="button button-primary" disabled={record.isPending}>
        {record.isPending ? "Adding…" : "Add value"}
      </button>
      <FormError message={formError(record.error)} />
    </form>
  );
}

export function ImportCsvForm({ kpiId, onImported }: { kpiId: string; onImported: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [text, setText] = useState("");
  const importPoints = useMutation(
    trpc.kpi.importPoints.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async ({ imported }) => {
        setText("");
        toast.success(`Imported ${imported} value${imported === 1 ? "" : "s"}.`);
        onImported();
        await queryClient.invalidateQueries(trpc.kpi.pathFilter());
        await queryClient.invalidateQueries(trpc.goal.pathFilter());
      },
    }),
  );
  const badLines = lineErrors(importPoints.error);

  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    importPoints.mutate({ workspaceId, kpiId, data: text });
  };

  return (
    <form onSubmit={submit} className="stack" noValidate aria-label="Import values from CSV">
      <Field label="CSV file" htmlFor={`${id}-file`} hint="Two columns, timestamp,value; a header line is optional.">
        <input
          id={`${id}-file`}
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void file.text().then(setText);
          }}
        />
      </Field>
      <Field label="Or paste the CSV" htmlFor={`${id}-text`}>
        <textarea
          id={`${id}-text`}
          rows={6}
          className="mono"
          value={text}
          placeholder={"timestamp,value\n2026-01-01T00:00:00Z,1250\n2026-01-02T00:00:00Z,1310"}
          onChange={(event) => {
            setText(event.target.value);
          }}
        />
      </Field>
      {importPoints.isError ? (
        <LineErrors message={errorMessage(importPoints.error)} lines={badLines.slice(0, 50)} total={badLines.length} />
      ) : null}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={importPoints.isPending || text.trim() === ""}>
          {importPoints.isPending ? "Importing…" : "Import"}
        </button>
      </div>
    </form>
  );
}
