import {
  type Billing,
  type CallLimits,
  createTRPCContext,
  type ExportDownload,
  type ExportFormat,
  openWorkspaceExport,
  retryAfterSeconds,
  sessionCookieFrom,
} from "@northstar/api";
import type { Database } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HostBindings } from "./request.ts";

// GET /api/workspaces/:workspaceId/export.json and /export.zip: a workspace's owner downloads all
// of its data (see @northstar/api's export). The session cookie and the same checks as a tRPC call
// (signed in, a member, a role with workspace.export, the user's budget), refused with the same
// codes and messages as JSON. The file is streamed as it is read, a page of rows at a time: the
// response never holds the whole export, and a client that goes away stops the reads.
//
// An export keeps reading for as long as the client keeps taking pages, past the call's in-flight
// slot: each user may run one at a time in this process (a second gets 429), so that no one can
// hold the read pool with parallel downloads.
//
// A GET changes nothing, but it hands out the whole workspace: a request another site started
// (Sec-Fetch-Site: cross-site, e.g. a link that downloads into a victim's browser) is refused.

export interface ExportRouteOptions {
  database: Database;
  /** Whether cookies are Secure and __Host- named (isSecureContext of the public URL). */
  secure: boolean;
  /** The host's call limits, shared with /trpc: an export is charged like any read. */
  limits: CallLimits;
  billing: Billing | null;
}

function refusal(c: Context<HostBindings>, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

export function exportRoutes(options: ExportRouteOptions): Hono<HostBindings> {
  const routes = new Hono<HostBindings>();
  const running = new Set<string>();

  async function download(c: Context<HostBindings>, format: ExportFormat) {
    if (c.req.header("sec-fetch-site") === "cross-site")
      return refusal(
        c,
        403,
        "FORBIDDEN",
        "Exports download from Northstar's own pages only: use Settings, Export data.",
      );
    const session = sessionCookieFrom(c.req.header("cookie") ?? null, options.secure);
    if (session.kind === "several")
      return refusal(
        c,
        400,
        "BAD_REQUEST",
        "This browser sent two Northstar session cookies, so neither is trusted; clear this site's cookies and sign in again.",
      );
    const cookies: string[] = [];
    const context = createTRPCContext({
      database: options.database,
      sessionToken: session.kind === "one" ? session.token : null,
      request: { ip: c.var.clientIp, userAgent: c.req.header("user-agent") ?? null, requestId: c.var.requestId },
      secureCookies: options.secure,
      limits: options.limits,
      billing: options.billing ?? undefined,
      setCookie: (cookie) => {
        cookies.push(cookie.header);
      },
    });
    const workspaceId = c.req.param("workspaceId") ?? "";
    let opened: ExportDownload;
    try {
      opened = await openWorkspaceExport(context, { workspaceId, format });
    } catch (error) {
      const refused =
        error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
      if (refused.code === "INTERNAL_SERVER_ERROR") {
        c.var.log.error({ err: refused.cause ?? refused }, "export failed to open");
        return refusal(c, 500, refused.code, "Something went wrong on our side; try again.");
      }
      const wait = retryAfterSeconds([refused]);
      if (wait !== null) c.header("retry-after", String(wait));
      for (const cookie of cookies) c.header("set-cookie", cookie, { append: true });
      const status = getHTTPStatusCodeFromError(refused) as ContentfulStatusCode;
      // A refused input (a workspace id that is no UUID) reads as the workspace not being found.
      if (refused.code === "BAD_REQUEST") return refusal(c, 404, "NOT_FOUND", "Workspace not found.");
      return refusal(c, status, refused.code, refused.message);
    }

    const body = opened.body;
    for (const cookie of cookies) c.header("set-cookie", cookie, { append: true });
    if (c.req.method === "HEAD" || running.has(opened.userId)) {
      // Nothing was read yet: ending the generator now ends the export.
      await body.return(undefined);
      if (c.req.method === "HEAD") return c.body(null, 200);
      c.header("retry-after", "10");
      return refusal(
        c,
        429,
        "TOO_MANY_REQUESTS",
        "An export of yours is still downloading; wait for it to finish (or cancel it), then try again.",
      );
    }
    const userId = opened.userId;
    running.add(userId);
    let finished = false;
    const finish = () => {
      if (!finished) running.delete(userId);
      finished = true;
    };
    // Who took which workspace's data, and how much of it: the audit trail of exports.
    const log = c.var.log.child({ workspaceId, format, userId });
    const started = performance.now();
    let bytes = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      // Pulled: the next page is read only once the client has taken the last one.
      async pull(controller) {
        try {
          const next = await body.next();
          // The client left while this page was read: the stream takes nothing more.
          if (cancelled) return;
          if (next.done) {
            finish();
            log.info({ bytes, ms: Math.round(performance.now() - started) }, "workspace exported");
            controller.close();
            return;
          }
          bytes += next.value.length;
          controller.enqueue(next.value);
        } catch (error) {
          // Too late for a status: the connection is cut, so the file is visibly incomplete.
          finish();
          log.error({ err: error, bytes }, "workspace export failed midway");
          controller.error(error);
        }
      },
      async cancel() {
        cancelled = true;
        // Waits for a page being read to arrive, then ends the reads (the generator's finally).
        try {
          await body.return(undefined);
        } finally {
          finish();
        }
        log.info({ bytes }, "workspace export cancelled by the client");
      },
    });
    c.header("content-type", opened.contentType);
    c.header("content-disposition", `attachment; filename="${opened.filename}"`);
    c.header("cache-control", "no-store");
    return c.body(stream, 200);
  }

  routes.get("/:workspaceId/export.json", (c) => download(c, "json"));
  routes.get("/:workspaceId/export.zip", (c) => download(c, "zip"));
  return routes;
}
