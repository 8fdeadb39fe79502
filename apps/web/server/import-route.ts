import {
  type Billing,
  type CallLimits,
  importMappingSchema,
  importRefusal,
  importUpload,
  resolveImporter,
  sessionCookieFrom,
} from "@northstar/api";
import type { Database } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { HostBindings } from "./request.ts";
import { sameOriginWrites } from "./same-origin.ts";

// POST /import/csv?workspaceId=…&mapping=<JSON>, with the file as a text/csv body: a file of up
// to a million rows is streamed through the import engine (never whole in memory, never one giant
// tRPC input). The checks are a tRPC write's: the session cookie, the member's role, the caller's
// budget, and only from our own pages (sameOriginWrites). Refusals before the import starts come
// with their status; once it starts, the answer is NDJSON: {"type":"progress","rows":N} lines as
// rows are read, then one {"type":"done","result":…} or {"type":"error","error":…} line.

export interface ImportRouteOptions {
  database: Database;
  publicOrigin: string;
  /** Whether the session cookie is the __Host- (Secure) one. */
  secure: boolean;
  limits: CallLimits;
  billing: Billing | null;
  /** Largest file accepted, in bytes. */
  maxBytes?: number;
}

/** 256 MiB: a million rows of a few columns, with room. */
export const defaultImportBytes = 256 * 1024 * 1024;

/** A progress line at most this often (in rows): enough to move a bar, few enough to be cheap. */
const progressEvery = 25_000;

const query = z.object({
  workspaceId: z.uuid({ error: "workspaceId must be a UUID" }),
  mapping: z.string().min(2, "mapping is required (JSON)").max(32_768, "mapping is too long"),
});

function parseMapping(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  return importMappingSchema.safeParse(json);
}

export function importRoutes(options: ImportRouteOptions): Hono<HostBindings> {
  const maxBytes = options.maxBytes ?? defaultImportBytes;
  const app = new Hono<HostBindings>();
  app.use("*", sameOriginWrites(options.publicOrigin));
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => {
        c.header("connection", "close");
        const limit = Math.floor(maxBytes / (1024 * 1024));
        return c.json(
          { error: { code: "PAYLOAD_TOO_LARGE", message: `Files of at most ${limit} MiB can be imported.` } },
          413,
        );
      },
    }),
  );

  app.post("/csv", async (c) => {
    const refuse = (error: TRPCError) => {
      const status = getHTTPStatusCodeFromError(error);
      return c.json({ error: importRefusal(error) }, status as 400);
    };
    const params = query.safeParse({ workspaceId: c.req.query("workspaceId"), mapping: c.req.query("mapping") });
    if (!params.success)
      return refuse(
        new TRPCError({ code: "BAD_REQUEST", message: params.error.issues.map((i) => i.message).join("; ") }),
      );
    const mapping = parseMapping(params.data.mapping);
    if (!mapping?.success)
      return refuse(
        new TRPCError({
          code: "BAD_REQUEST",
          message: mapping ? mapping.error.issues.map((issue) => issue.message).join("; ") : "mapping must be JSON",
        }),
      );
    const body = c.req.raw.body;
    if (!body) return refuse(new TRPCError({ code: "BAD_REQUEST", message: "Send the file as the request body." }));
    const cookie = sessionCookieFrom(c.req.header("cookie"), options.secure);
    let importer;
    try {
      importer = await resolveImporter({
        database: options.database,
        sessionToken: cookie.kind === "one" ? cookie.token : null,
        workspaceId: params.data.workspaceId,
        limits: options.limits,
        signal: c.req.raw.signal,
      });
    } catch (error) {
      if (error instanceof TRPCError) return refuse(error);
      throw error;
    }

    const log = c.var.log;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (line: object) => {
          try {
            controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
          } catch {
            // The client went away: the import still ends (its body stream fails) and rolls back.
          }
        };
        let reported = 0;
        try {
          const result = await importUpload({
            database: options.database,
            importer,
            source: body,
            mapping: mapping.data,
            billing: options.billing,
            onProgress: (rows) => {
              if (rows - reported < progressEvery) return;
              reported = rows;
              send({ type: "progress", rows });
            },
          });
          log.info({ rows: result.rows, points: result.points, inserted: result.inserted }, "import done");
          send({ type: "done", result });
        } catch (error) {
          const refusal = importRefusal(error);
          if (refusal.code === "INTERNAL_SERVER_ERROR") log.error({ err: error }, "import failed");
          send({ type: "error", error: refusal });
        }
        try {
          controller.close();
        } catch {
          // Already cancelled by the client.
        }
      },
    });
    return new Response(stream, {
      headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" },
    });
  });
  return app;
}
