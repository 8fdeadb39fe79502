import type { ImportMapping, ImportResult, ImportRefusal as ServerRefusal } from "@northstar/api";

// Sends a file to the host's import route (server/import-route.ts) as a text/csv body and follows
// it: upload progress from the browser, then the rows the server has read, from the NDJSON lines
// it streams back. XMLHttpRequest, because fetch reports no upload progress.

export interface ImportProgress {
  /** Bytes sent of the file (the upload), and its size. */
  sent: number;
  total: number;
  /** Data rows the server has read so far. */
  rows: number;
}

/** The server's refusal (its tRPC code), or the client's own (NETWORK, INCOMPLETE, the HTTP status). */
export type ImportRefusal = Omit<ServerRefusal, "code"> & { code: string };

export class ImportFailed extends Error {
  readonly refusal: ImportRefusal;
  override readonly name = "ImportFailed";
  constructor(refusal: ImportRefusal) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

type Line =
  | { type: "progress"; rows: number }
  | { type: "done"; result: ImportResult }
  | { type: "error"; error: ImportRefusal };

function parseLines(text: string): Line[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line): Line[] => {
      try {
        return [JSON.parse(line) as Line];
      } catch {
        // A line cut by the network: the next progress event reads it whole.
        return [];
      }
    });
}

const unreachable: ImportRefusal = {
  code: "NETWORK",
  message: "Northstar cannot be reached; check your connection and try again.",
};

export function uploadImport(
  workspaceId: string,
  body: Blob,
  mapping: ImportMapping,
  onProgress: (progress: ImportProgress) => void,
): Promise<ImportResult> {
  const query = new URLSearchParams({ workspaceId, mapping: JSON.stringify(mapping) });
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const progress: ImportProgress = { sent: 0, total: body.size, rows: 0 };
    request.open("POST", `/import/csv?${query.toString()}`);
    request.setRequestHeader("content-type", "text/csv");
    // The same-origin check's marker of our own client (server/same-origin.ts).
    request.setRequestHeader("x-trpc-source", "web");
    request.upload.onprogress = (event) => {
      progress.sent = event.loaded;
      onProgress({ ...progress });
    };
    request.onprogress = () => {
      if (request.status !== 200) return;
      for (const line of parseLines(request.responseText))
        if (line.type === "progress") progress.rows = Math.max(progress.rows, line.rows);
      onProgress({ ...progress });
    };
    request.onerror = () => {
      reject(new ImportFailed(unreachable));
    };
    request.onload = () => {
      if (request.status !== 200) {
        try {
          const answer = JSON.parse(request.responseText) as { error?: ImportRefusal };
          reject(new ImportFailed(answer.error ?? { code: String(request.status), message: request.statusText }));
        } catch {
          reject(new ImportFailed({ code: String(request.status), message: "The import was refused; try again." }));
        }
        return;
      }
      const last = parseLines(request.responseText).at(-1);
      if (last?.type === "done") resolve(last.result);
      else if (last?.type === "error") reject(new ImportFailed(last.error));
      else
        reject(new ImportFailed({ code: "INCOMPLETE", message: "The import stopped before it finished; try again." }));
    };
    request.send(body);
  });
}
