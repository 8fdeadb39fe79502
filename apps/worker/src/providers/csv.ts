import { isDateFormat } from "@northstar/core/csv/dates";
import { readCsvBatches } from "@northstar/core/csv/read";
import { type CsvOptions, type CsvProblem, CsvSettingsError, isRowError } from "@northstar/core/csv/settings";
import { CsvEncodingError } from "@northstar/core/csv/source";
import { SyncError } from "../sync/errors.ts";
import type { Connector, DataPoint } from "./connector.ts";
import { httpGetStream, statusError } from "./http.ts";

// CSV: GET a URL (which may carry its own access token: it is a credential) answering a CSV or TSV
// with a header row, read by the shared reader (@northstar/core/csv: RFC 4180 quoting, delimiter,
// decimal comma and thousands detection, explicit date formats and time zones) as the body streams
// in, under httpGet's size bound. The timestamp and value columns are named in the config; a date
// format the file leaves open (01/02/2026) is refused with a request to set it, never guessed.
// Messages are built from the config's names, line numbers and fixed text only: a cell of the
// provider's body is never quoted back (it could echo a secret).

const provider = "The CSV source";

/** The reader's options from the integration's config (already validated by its schema). */
function readOptions(config: Record<string, string | undefined>): CsvOptions {
  const dateFormat = config.dateFormat;
  const decimal = config.decimalSeparator;
  return {
    header: true,
    timestampColumn: config.timestampColumn ?? "timestamp",
    valueColumns: [config.valueColumn ?? "value"],
    ...(dateFormat !== undefined && isDateFormat(dateFormat) ? { dateFormat } : {}),
    ...(decimal === "." || decimal === "," ? { decimal } : {}),
    ...(config.timeZone !== undefined ? { timeZone: config.timeZone } : {}),
  };
}

const problemText: Record<CsvProblem["code"], string> = {
  column_count: "has a different number of columns than the header (is a value holding the delimiter not quoted?)",
  bad_quotes: "has a quoted value that is not closed properly",
  missing_timestamp: "has no timestamp",
  not_a_date: "has a timestamp that is not a date in the file's date format",
  not_a_number: "has a value that is not a number",
};

/** One bad row as a SyncError naming its line (and column, a name from the config or the reader). */
function rowError(line: number, problem: CsvProblem | undefined): SyncError {
  const where = problem?.column ? `CSV line ${line}, column "${problem.column}",` : `CSV line ${line}`;
  const what = problem ? problemText[problem.code] : "cannot be read";
  return new SyncError("provider_bad_response", `${where} ${what}.`);
}

/** The reader's refusals of the file as a whole, by code. */
function settingsError(error: CsvSettingsError, options: CsvOptions): SyncError {
  switch (error.code) {
    case "questions": {
      for (const question of error.questions) {
        if (question.kind !== "ambiguous_date") continue;
        return new SyncError(
          "config_invalid",
          `The CSV's dates could be read as ${question.candidates.join(" or ")}, and no date in the file tells which: ` +
            "set the integration's date format.",
        );
      }
      if (error.questions.some((question) => question.kind === "ambiguous_decimal")) {
        return new SyncError(
          "config_invalid",
          "The CSV's numbers could be read with a decimal point or a decimal comma: set the integration's decimal separator.",
        );
      }
      return new SyncError(
        "config_invalid",
        `The CSV's timestamp column "${String(options.timestampColumn)}" does not hold dates this reader knows.`,
      );
    }
    case "unknown_column": {
      const names = [options.timestampColumn, ...(options.valueColumns ?? [])].map(String);
      return new SyncError(
        "config_invalid",
        `The CSV has no column named ${names.map((name) => `"${name}"`).join(" or ")} (check the column names).`,
      );
    }
    case "invalid_time_zone":
    case "invalid_option":
      return new SyncError("config_invalid", "The integration's date format or time zone is not valid.");
    case "empty":
      return new SyncError("provider_bad_response", `${provider} is empty (no header row).`);
    case "too_many_rows":
      return new SyncError("provider_bad_response", `${provider} has more rows than one sync reads.`);
  }
}

export const csvConnector: Connector = {
  id: "csv",
  overlapSeconds: 0,
  async fetch({ credentials, config, since, signal, timeoutMs, network }) {
    const url = credentials.url;
    if (!url) throw new SyncError("config_invalid", "The integration needs a CSV URL.");
    const options = readOptions(config);
    const response = await httpGetStream(
      { url, headers: { accept: "text/csv, text/tab-separated-values, text/plain" } },
      { signal, timeoutMs, network },
      provider,
    );
    if (response.status < 200 || response.status >= 300) {
      await response.body.return(undefined);
      throw statusError(response.status, response.headers, provider);
    }
    const points: DataPoint[] = [];
    try {
      for await (const rows of readCsvBatches(response.body, options)) {
        for (const row of rows) {
          if (isRowError(row)) throw rowError(row.line, row.problems[0]);
          const value = row.values[0];
          // An empty cell is a gap in the series, not a zero.
          if (value === null || value === undefined) continue;
          if (row.timestamp >= since) points.push({ metric: "value", timestamp: row.timestamp, value });
        }
      }
    } catch (error) {
      if (error instanceof CsvSettingsError) throw settingsError(error, options);
      if (error instanceof CsvEncodingError)
        throw new SyncError("provider_bad_response", `${provider} is not UTF-8 text.`);
      throw error;
    }
    return points;
  },
};
