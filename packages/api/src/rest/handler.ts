import type { Database } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Billing } from "../billing/config.ts";
import type { ChartCache } from "../kpi/chart-cache.ts";
import { ImportLinesError } from "../kpi/import.ts";
import { apiKeyPrincipalOf, createTRPCContext, type RequestMetadata } from "../trpc.ts";
import { docsPage } from "./docs.ts";
import { openApiDocument } from "./openapi.ts";
import { createRestCaller, type RestRoute, restRoutes } from "./routes.ts";
import { maxPushPoints } from "./schemas.ts";

// The public REST API (/api/v1) as a fetch handler: a web Request in, a Response out, so the host
// mounts it in one line and tests can call it without a server. Authentication is the Bearer key
// only: cookies are never read, so a browser session cannot act here and a cross-site page gains
// nothing from the visitor's cookies (which is why the host's same-origin check does not apply).
// Every answer is JSON, and every refusal is `{ error: { code, message } }` with a stable code.

/** A per-key budget (the host's token-bucket RateLimiter). */
export interface RestRateLimiter {
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export interface RestApiOptions {
  database: Database;
  /** Each key's budget; failed authentications are charged to the caller's address. */
  limiter: RestRateLimiter;
  billing?: Billing | null;
  /** Charts kept under their KPI's data version (kpi/chart-cache.ts); none: each is read. */
  charts?: ChartCache | undefined;
  /** Told about unexpected failures (a 500), which answer without their text. */
  onError?: (error: unknown) => void;
}

export type RestRequestMetadata = Partial<RequestMetadata>;

const prefix = "/api/v1";
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function refusal(error: RestError): Response {
  return answer(error.status, { error: { code: error.code, message: error.message, ...error.extra } }, error.headers);
}

const statusByCode: Partial<Record<TRPCError["code"], number>> = {
  BAD_REQUEST: 400,
  PARSE_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  TIMEOUT: 408,
};

function issuesOf(error: ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

function validationFailed(error: ZodError): RestError {
  const issues = issuesOf(error);
  const first = issues
    .slice(0, 3)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join("; ");
  return new RestError(400, "VALIDATION_FAILED", `The request is not valid (${first}).`, { issues });
}

/** What a procedure's or a schema's refusal answers. */
function asRestError(error: unknown): RestError | null {
  if (error instanceof RestError) return error;
  if (error instanceof ZodError) return validationFailed(error);
  if (!(error instanceof TRPCError)) return null;
  if (error.cause instanceof ZodError) return validationFailed(error.cause);
  if (error.cause instanceof ImportLinesError)
    return new RestError(400, "IMPORT_REJECTED", error.message, { lines: error.cause.lines });
  const status = statusByCode[error.code];
  if (status === undefined) return null;
  return new RestError(status, error.code, error.message);
}

const unauthorized = (message: string) =>
  new RestError(401, "UNAUTHORIZED", message, {}, { "www-authenticate": 'Bearer realm="northstar"' });

function bearerKey(request: Request): string {
  const header = request.headers.get("authorization");
  if (!header)
    throw unauthorized(
      "Send an API key as `Authorization: Bearer ns_live_…`; an owner or admin creates keys in Settings → API keys.",
    );
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized("The Authorization header must be `Bearer <API key>`.");
  return match[1];
}

function matchRoute(method: string, path: string): { route: RestRoute; params: Record<string, string> } {
  const allowed: string[] = [];
  for (const route of restRoutes) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      })}$`,
    );
    const found = pattern.exec(path);
    if (!found) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(found[index + 1] ?? "");
    });
    return { route, params };
  }
  if (allowed.length > 0)
    throw new RestError(
      405,
      "METHOD_NOT_ALLOWED",
      `Use ${allowed.join(" or ")} here.`,
      {},
      { allow: allowed.join(", ") },
    );
  throw new RestError(404, "NOT_FOUND", "No such route; see /api/v1/docs for the API's routes.");
}

async function bodyOf(request: Request, route: RestRoute): Promise<unknown> {
  if (!route.body) return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (route.body.type === "csv") {
    if (type !== "text/csv" && type !== "text/plain")
      throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the file as the body with `Content-Type: text/csv`.");
    return request.text();
  }
  if (type !== "application/json")
    throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", "Send a JSON body with `Content-Type: application/json`.");
  try {
    return await request.json();
  } catch {
    throw new RestError(400, "INVALID_JSON", "The body is not valid JSON.");
  }
}

/** More points than one push takes: 413 before they are checked one by one. */
function checkPointCount(body: unknown): void {
  if (typeof body !== "object" || body === null || !("points" in body) || !Array.isArray(body.points)) return;
  if (body.points.length > maxPushPoints)
    throw new RestError(
      413,
      "TOO_MANY_POINTS",
      `Send at most ${maxPushPoints} points per request (this one has ${body.points.length}); split them into several requests.`,
    );
}

export function createRestApi(options: RestApiOptions) {
  const { database, limiter } = options;

  async function serve(request: Request, metadata: RestRequestMetadata, path: string): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && path === "/openapi.json")
      return answer(200, openApiDocument(`${url.origin}${prefix}`));
    if (request.method === "GET" && path === "/docs")
      return new Response(docsPage(openApiDocument(`${url.origin}${prefix}`)), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    const { route, params } = matchRoute(request.method, path);
    const key = bearerKey(request);
    const ctx = createTRPCContext({
      database,
      sessionToken: null,
      apiKey: key,
      request: metadata,
      billing: options.billing ?? undefined,
      charts: options.charts,
    });
    const principal = await apiKeyPrincipalOf(ctx);
    if (!principal) {
      // Guessing keys costs the guesser's address, not a key's budget.
      const decision = limiter.take(`api-address:${metadata.ip ?? "unknown"}`);
      if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
      throw unauthorized("The API key is unknown or revoked (or its creator left the workspace); create a new one.");
    }
    const decision = limiter.take(`api-key:${principal.keyId}`);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
    if (route.scope === "write" && !principal.scopes.includes("write"))
      throw new RestError(
        403,
        "INSUFFICIENT_SCOPE",
        "This API key may only read; create a key with the write scope to change data.",
      );
    // An id that is not one names no KPI: the same answer as another workspace's KPI.
    for (const value of Object.values(params))
      if (!uuidPattern.test(value)) throw new RestError(404, "NOT_FOUND", "KPI not found.");
    const body = await bodyOf(request, route);
    checkPointCount(body);
    const result = await route.run({
      caller: createRestCaller(ctx),
      workspaceId: principal.workspaceId,
      params,
      query: Object.fromEntries(url.searchParams),
      body,
    });
    // The answer is what the OpenAPI document says, or a bug of ours (a 500, logged), never a guess.
    const checked = route.answer.safeParse(result);
    if (!checked.success)
      throw new Error(`${route.operationId} answered outside its schema: ${JSON.stringify(checked.error.issues)}`);
    return answer(route.status, checked.data);
  }

  /** Answers a request under /api/v1 (the host passes every method of that prefix). */
  return async function handle(request: Request, metadata: RestRequestMetadata = {}): Promise<Response> {
    const path = new URL(request.url).pathname;
    const relative = path.startsWith(prefix) ? path.slice(prefix.length) || "/" : path;
    try {
      return await serve(request, metadata, relative);
    } catch (error) {
      const known = asRestError(error);
      if (known) return refusal(known);
      options.onError?.(error);
      return refusal(new RestError(500, "INTERNAL_SERVER_ERROR", "Something went wrong on our side; try again."));
    }
  };
}

function rateLimited(retryAfterSeconds: number): RestError {
  return new RestError(
    429,
    "RATE_LIMITED",
    `Too many requests with this key; try again in ${retryAfterSeconds} seconds.`,
    {},
    { "retry-after": String(retryAfterSeconds) },
  );
}
