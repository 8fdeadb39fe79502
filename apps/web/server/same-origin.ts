import type { MiddlewareHandler } from "hono";
import type { HostBindings } from "./request.ts";

// Cross-site request forgery on /trpc. The session cookie is SameSite=Lax, which keeps it off
// other sites' posts but not off a sibling subdomain's (same site, other origin), and tRPC itself
// would take a form post (multipart) as a call. So a write must look like our own client's: a
// JSON body (or our custom header), which a page elsewhere cannot send without a CORS preflight
// this host never grants, and an Origin (or Sec-Fetch-Site) saying it comes from PUBLIC_URL.

/** The header our clients may send instead of a JSON content type. */
export const clientSourceHeader = "x-trpc-source";

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/** Why a write request is refused, or null when it comes from our own pages. */
export function crossSiteRefusal(headers: Headers, publicOrigin: string): string | null {
  const json = mediaType(headers.get("content-type") ?? undefined) === "application/json";
  if (!json && !headers.has(clientSourceHeader))
    return "The API takes only JSON requests (Content-Type: application/json) from Northstar's own pages.";
  const origin = headers.get("origin");
  const sameOrigin =
    origin !== null ? origin === publicOrigin : headers.get("sec-fetch-site")?.toLowerCase() === "same-origin";
  if (!sameOrigin)
    return `The API takes changes only from Northstar's own pages (${publicOrigin}); this request came from ${origin ?? "an unnamed origin"}.`;
  return null;
}

/** Refuses, with 403, every write to the routes it guards that does not come from our own pages. */
export function sameOriginWrites(publicOrigin: string): MiddlewareHandler<HostBindings> {
  return async (c, next) => {
    if (!safeMethods.has(c.req.method)) {
      const refusal = crossSiteRefusal(c.req.raw.headers, publicOrigin);
      if (refusal) {
        c.var.log.warn({ origin: c.req.header("origin") ?? null, path: c.req.path }, "cross-site write refused");
        return c.json({ error: { code: "FORBIDDEN", message: refusal } }, 403);
      }
    }
    await next();
    return undefined;
  };
}
