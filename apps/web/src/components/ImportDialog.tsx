import type { ImportMapping, ImportResult, ImportTarget } from "@northstar/api";
import { type DateFormat, isDateFormat } from "@northstar/core/csv/dates";
import type { CsvRow } from "@northstar/core/csv/settings";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { errorMessage } from "../lib/errors.ts";
import { formatDateTime } from "../lib/format.ts";
import { LineErrors } from "./LineErrors.tsx";
import { ImportFailed, type ImportProgress, type ImportRefusal, uploadImport } from "../lib/upload-import.ts";
import { type RouterOutputs, useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";
import { Field } from "./Feedback.tsx";
import { useToast } from "./Toasts.tsx";

// Import a CSV/TSV file with a header into one or more KPIs: pick the file (or paste it), see how
// its first rows will be read (detected delimiter, decimal separator and date format, per-line
// problems), answer what the file leaves open (an ambiguous date format), choose the timestamp
// column and where each value column goes (an existing KPI or a new one), then import it with
// progress. The file itself is streamed to the host's import route; only its head is previewed.

type Preview = RouterOutputs["import"]["preview"];

/** Text of the file shown in the preview: its first megabyte, cut at a line end. */
const headBytes = 1_000_000;

async function headOf(file: Blob): Promise<string> {
  const text = await file.slice(0, headBytes).text();
  if (file.size <= headBytes) return text;
  const end = text.lastIndexOf("\n");
  return end > 0 ? text.slice(0, end + 1) : text;
}

interface ColumnChoice {
  include: boolean;
  /** "new", or an existing KPI's id. */
  target: string;
  newName: string;
}

const delimiterNames: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe" };
const numberFormat = new Intl.NumberFormat("en-US");

function isRowError(row: CsvRow): row is Extract<CsvRow, { errors: string[] }> {
  return "errors" in row;
}

export function ImportDialog({
  defaultKpiId,
  onDone,
}: {
  /** The KPI the first value column goes to (opened from a KPI's page). */
  defaultKpiId?: string;
  onDone: (result: ImportResult) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId } = useWorkspace();
  const id = useId();
  const [file, setFile] = useState<Blob | null>(null);
  const [pasted, setPasted] = useState("");
  const [dateFormat, setDateFormat] = useState<DateFormat | undefined>(undefined);
  const [timestampColumn, setTimestampColumn] = useState<number | undefined>(undefined);
  const [choices, setChoices] = useState<Record<number, ColumnChoice>>({});
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [refusal, setRefusal] = useState<ImportRefusal | null>(null);
  const kpis = useQuery(trpc.kpi.list.queryOptions({ workspaceId, limit: 100 }));
  const preview = useMutation(trpc.import.preview.mutationOptions({ meta: { inlineErrors: true } }));
  const body = file ?? (pasted.trim() === "" ? null : new Blob([pasted], { type: "text/csv" }));

  const included = Object.entries(choices)
    .filter(([, choice]) => choice.include)
    .map(([column]) => Number(column));

  const runPreview = async (options: {
    dateFormat?: DateFormat;
    timestampColumn?: number;
    valueColumns?: number[];
  }) => {
    if (!body) return;
    setRefusal(null);
    const text = await headOf(body);
    const answer = await preview.mutateAsync({
      workspaceId,
      text,
      options: {
        ...(options.dateFormat ? { dateFormat: options.dateFormat } : {}),
        ...(options.timestampColumn === undefined ? {} : { timestampColumn: options.timestampColumn }),
        ...(options.valueColumns && options.valueColumns.length > 0 ? { valueColumns: options.valueColumns } : {}),
      },
    });
    if (answer.settings && timestampColumn === undefined) {
      setTimestampColumn(answer.settings.timestampColumn);
      const first = answer.settings.valueColumns.length === 1 || defaultKpiId !== undefined;
      setChoices(
        Object.fromEntries(
          answer.settings.valueColumns.map((column, index) => [
            column,
            {
              include: first && index === 0,
              target: index === 0 && defaultKpiId ? defaultKpiId : "new",
              newName: answer.columns[column] ?? `Column ${column + 1}`,
            },
          ]),
        ),
      );
    }
  };

  // A new file, a pasted text or an answer: preview again (the mapping stays while columns do).
  useEffect(() => {
    if (!body) return;
    const timer = setTimeout(() => {
      void runPreview({ dateFormat, timestampColumn, valueColumns: included }).catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
    };
  }, [file, pasted, dateFormat, timestampColumn, included.join(",")]);

  const shown: Preview | undefined = preview.data;
  const settings = shown?.settings ?? null;
  const columns = shown?.columns ?? [];
  // The columns of numbers the first preview found (a text column would fail on every line).
  const valueColumns = Object.keys(choices)
    .map(Number)
    .filter((index) => index !== timestampColumn);

  const upload = useMutation({
    mutationFn: async () => {
      if (!body || !settings || timestampColumn === undefined) throw new Error("Choose a file first.");
      const mapped = included.map((column) => {
        const choice = choices[column];
        const target: ImportTarget =
          !choice || choice.target === "new"
            ? {
                newKpi: {
                  name: choice?.newName.trim() || (columns[column] ?? `Column ${column + 1}`),
                  unit: "",
                  category: "General",
                  direction: "HIGHER_IS_BETTER",
                  aggregation: "AVERAGE",
                },
              }
            : { kpiId: choice.target };
        return { column: settings.header ? (columns[column] ?? column) : column, target };
      });
      const mapping: ImportMapping = {
        timestampColumn: settings.header ? (columns[timestampColumn] ?? timestampColumn) : timestampColumn,
        columns: mapped,
        header: settings.header,
        delimiter: settings.delimiter,
        decimal: settings.decimal,
        dateFormat: settings.dateFormat,
      };
      setRefusal(null);
      setProgress({ sent: 0, total: body.size, rows: 0 });
      return uploadImport(workspaceId, body, mapping, setProgress);
    },
    onSuccess: async (result) => {
      toast.success(
        `Imported ${numberFormat.format(result.points)} value${result.points === 1 ? "" : "s"} into ${result.kpis.length} KPI${result.kpis.length === 1 ? "" : "s"}.`,
      );
      await queryClient.invalidateQueries(trpc.kpi.pathFilter());
      await queryClient.invalidateQueries(trpc.goal.pathFilter());
      onDone(result);
    },
    onError: (error) => {
      setRefusal(error instanceof ImportFailed ? error.refusal : { code: "ERROR", message: errorMessage(error) });
    },
    onSettled: () => {
      setProgress(null);
    },
  });

  const setChoice = (column: number, change: Partial<ColumnChoice>) => {
    setChoices((current) => ({
      ...current,
      [column]: { include: false, target: "new", newName: columns[column] ?? "", ...current[column], ...change },
    }));
  };

  const question = shown?.questions.flatMap((item) => (item.kind === "ambiguous_date" ? [item] : []))[0];
  const kpiOptions = kpis.data?.items ?? [];

  return (
    <div className="stack">
      <Field label="CSV file" htmlFor={`${id}-file`} hint="CSV or TSV with a header line; up to 1,000,000 rows.">
        <input
          id={`${id}-file`}
          type="file"
          accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"
          onChange={(event) => {
            setFile(event.target.files?.[0] ?? null);
            setTimestampColumn(undefined);
            setChoices({});
            setDateFormat(undefined);
          }}
        />
      </Field>
      {file ? null : (
        <Field label="Or paste the CSV" htmlFor={`${id}-text`}>
          <textarea
            id={`${id}-text`}
            rows={4}
            className="mono"
            value={pasted}
            onChange={(event) => {
              setPasted(event.target.value);
              setTimestampColumn(undefined);
              setChoices({});
            }}
          />
        </Field>
      )}

      {preview.isError ? (
        <p className="form-error" role="alert">
          {errorMessage(preview.error)}
        </p>
      ) : null}

      {question ? (
        <Field
          label="Date format"
          htmlFor={`${id}-date-format`}
          hint={`Dates such as ${question.examples.join(", ")} read either way: which is it?`}
        >
          <select
            id={`${id}-date-format`}
            value={dateFormat ?? ""}
            onChange={(event) => {
              const format = event.target.value;
              setDateFormat(isDateFormat(format) ? format : undefined);
            }}
          >
            <option value="">Choose…</option>
            {question.candidates.map((candidate) => (
              <option key={candidate} value={candidate}>
                {candidate}
              </option>
            ))}
          </select>
        </Field>
      ) : null}

      {settings && shown ? (
        <>
          <p className="muted small" data-testid="import-detected">
            {numberFormat.format(shown.totalRows)} rows{file && file.size > headBytes ? " in the first megabyte" : ""} ·
            delimiter {delimiterNames[settings.delimiter] ?? settings.delimiter} · decimal{" "}
            {settings.decimal === "," ? "comma" : "point"} · dates {settings.dateFormat} · time zone {settings.timeZone}
          </p>
          <Field label="Timestamp column" htmlFor={`${id}-timestamp`}>
            <select
              id={`${id}-timestamp`}
              value={timestampColumn ?? settings.timestampColumn}
              onChange={(event) => {
                setTimestampColumn(Number(event.target.value));
              }}
            >
              {columns.map((name, index) => (
                <option key={name} value={index}>
                  {name}
                </option>
              ))}
            </select>
          </Field>
          <fieldset className="stack">
            <legend>Value columns</legend>
            {valueColumns.map((column) => {
              const name = columns[column] ?? `Column ${column + 1}`;
              const choice = choices[column];
              return (
                <div key={column} className="inline-form">
                  <label>
                    <input
                      type="checkbox"
                      checked={choice?.include ?? false}
                      onChange={(event) => {
                        setChoice(column, { include: event.target.checked });
                      }}
                    />{" "}
                    Import {name}
                  </label>
                  {choice?.include ? (
                    <>
                      <select
                        aria-label={`KPI for ${name}`}
                        value={choice.target}
                        onChange={(event) => {
                          setChoice(column, { target: event.target.value });
                        }}
                      >
                        <option value="new">New KPI</option>
                        {kpiOptions.map((kpi) => (
                          <option key={kpi.id} value={kpi.id}>
                            {kpi.name}
                          </option>
                        ))}
                      </select>
                      {choice.target === "new" ? (
                        <input
                          aria-label={`New KPI name for ${name}`}
                          value={choice.newName}
                          onChange={(event) => {
                            setChoice(column, { newName: event.target.value });
                          }}
                        />
                      ) : null}
                    </>
                  ) : null}
                </div>
              );
            })}
          </fieldset>
          <PreviewTable preview={shown} />
        </>
      ) : null}

      {refusal ? <Refusal refusal={refusal} /> : null}
      {progress ? (
        <p role="status" className="muted">
          {progress.sent < progress.total
            ? `Uploading… ${Math.floor((progress.sent / Math.max(progress.total, 1)) * 100)}%`
            : "Uploaded."}{" "}
          {numberFormat.format(progress.rows)} rows read.
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={upload.isPending || !settings || included.length === 0}
          onClick={() => {
            upload.mutate();
          }}
        >
          {upload.isPending ? "Importing…" : included.length > 1 ? `Import ${included.length} columns` : "Import"}
        </button>
      </div>
    </div>
  );
}

function PreviewTable({ preview }: { preview: Preview }) {
  const settings = preview.settings;
  if (!settings) return null;
  const names = settings.valueColumns.map((column) => preview.columns[column] ?? `Column ${column + 1}`);
  return (
    <div className="table-scroll">
      <table className="table table-compact">
        <caption>Preview: the first rows as they will be read</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Time</th>
            {names.map((name) => (
              <th key={name} scope="col" className="numeric">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.slice(0, 10).map((row) => (
            <tr key={row.line}>
              <td>{row.line}</td>
              {isRowError(row) ? (
                <td colSpan={names.length + 1} className="form-error">
                  {row.errors.join("; ")}
                </td>
              ) : (
                <>
                  <td className="nowrap">{formatDateTime(row.timestamp)}</td>
                  {row.values.map((value, index) => (
                    <td key={names[index] ?? index} className="numeric">
                      {value ?? "—"}
                    </td>
                  ))}
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Refusal({ refusal }: { refusal: ImportRefusal }) {
  const lines = refusal.lines ?? [];
  return <LineErrors message={refusal.message} lines={lines} total={refusal.totalLines ?? lines.length} />;
}
