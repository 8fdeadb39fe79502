import type { CsvQuestion } from "@northstar/core/csv/settings";
import { TRPCError } from "@trpc/server";
import { ImportLinesError, type LineError } from "../kpi/import.ts";
import { ImportQuestionsError } from "./engine.ts";

// A refused import as JSON for routes outside tRPC (the host's upload route, the public API): the
// stable code, the message, and what the person needs to fix it (the bad lines, or the questions
// to answer). Internal errors keep their text to the logs.

export interface ImportRefusal {
  code: TRPCError["code"];
  message: string;
  /** The first bad lines (at most 100), by line. */
  lines?: LineError[];
  /** All bad lines, listed or not. */
  totalLines?: number;
  /** What to answer (as mapping options) before the file can be read. */
  questions?: CsvQuestion[];
}

export function importRefusal(error: unknown): ImportRefusal {
  const refusal = error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
  if (refusal.code === "INTERNAL_SERVER_ERROR")
    return { code: refusal.code, message: "Something went wrong on our side; try again." };
  const body: ImportRefusal = { code: refusal.code, message: refusal.message };
  if (refusal.cause instanceof ImportLinesError) {
    body.lines = refusal.cause.lines;
    body.totalLines = refusal.cause.total;
  }
  if (refusal.cause instanceof ImportQuestionsError) body.questions = refusal.cause.questions;
  return body;
}
