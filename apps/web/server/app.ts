import { getConnInfo } from "@hono/node-server/conninfo";
import {
  appRouter,
  type AuthConfig,
  CallsRefused,
  type Billing,
  ChartCache,
  createAuth,
  createRestApi,
  createTRPCContext,
  isSecureContext,
  type Jobs,
  retryAfterSeconds,
  sessionCookieFrom,
} from "@northstar/api";
import type { Database, PublicKeyring } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { Logger } from "pino";
import { authRoutes } from "./auth-routes.ts";
import { importRoutes } from "./import-route.ts";
import { type ClientDevServer, clientRoutes } from "./client.ts";
import { type CallLimitSettings, defaultCallLimits, hostCallLimits } from "./call-limits.ts";
import { defaultOverloadLimit, type OverloadLimit, overloadBound } from "./overload.ts";
import { type RateLimit, RateLimiter } from "./rate-limit.ts";
import { sameOriginWrites } from "./same-origin.ts";
import { clientAddressFrom, type HostBindings } from "./request.ts";
import { stripeWebhookRoutes } from "./stripe-webhook.ts";
import { exportRoutes } from "./export.ts";

// The host: one Hono app that mounts the tRPC router, the sign-in routes, the probes and the
// client. Everything it needs comes in through createApp's options, so tests build it directly.

export interface AppOptions {
  database: Database;
  auth: AuthConfig;
  /** Seals integration credentials (see @northstar/db's credentials.ts). */
  credentialsKeyring?: PublicKeyring | null;
  /** The worker's job queue ("sync now"); none: the integration is only marked due. */
  jobs?: Jobs | null;
  logger: Logger;
  /** The built client (apps/web/dist); null or missing index.html: a placeholder page. */
  clientDir?: string | null;
  /** Development: Vite's dev server serves the client (takes precedence over clientDir). */
  clientDevServer?: ClientDevServer | null;
  /**
   * Reverse proxies in front of the host that append to X-Forwarded-For (default 0: the socket's
   * address is the client's). See clientAddressFrom.
   */
  trustedProxyHops?: number;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Per-call budgets and the in-flight limit (call-limits.ts); each unset one keeps its default. */
  rateLimits?: Partial<CallLimitSettings> & {
    /** Sign-in routes (start, callback, dev) per client address. */
    signIn?: RateLimit;
    /** The REST API (/api/v1) per key, and failed key checks per client address. */
    restApi?: RateLimit;
  };
  /** tRPC requests the whole host works on at once, and waiting (overload.ts); each unset one keeps its default. */
  overload?: Partial<OverloadLimit>;
  /** Calls one tRPC batch may carry (default 20); a longer batch is refused before any of it runs. */
  maxBatchCalls?: number;
  /** How long /readyz waits for the database (default 2 s). */
  readinessTimeoutMs?: number;
  /** Stripe, or billing off (one configured plan); none: subscriptions decide and nothing can be bought. */
  billing?: Billing | null;
  /** Bytes of charts kept under their KPI's data version (default 64 MiB; 0: none kept, each is read). */
  chartCacheBytes?: number;
}

export const defaultRateLimits = {
  signIn: { burst: 10, perSecond: 10 / 60 },
  restApi: { burst: 60, perSecond: 10 },
  ...defaultCallLimits,
};

/** Charts kept by default: some 280 charts of a year of days and the year before (kpi/chart-cache.ts). */
export const defaultChartCacheBytes = 64 * 1024 * 1024;

/** The web client splits its batches at this size too (apps/web/src/trpc.ts). */
export const defaultMaxBatchCalls = 20;

const probes = new Set(["/healthz", "/readyz"]);

function socketAddress(c: Context<HostBindings>): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // Not served by @hono/node-server (app.request in a unit test): no socket to ask.
    return "unknown";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

function rateLimited(limiter: RateLimiter, group: string): MiddlewareHandler<HostBindings> {
  return async (c, next) => {
    const decision = limiter.take(`${group}:${c.var.clientIp}`);
    if (!decision.allowed) {
      c.var.log.warn({ group, retryAfterSeconds: decision.retryAfterSeconds }, "rate limited");
      c.header("retry-after", String(decision.retryAfterSeconds));
      return c.text(`Too many attempts; try again in ${decision.retryAfterSeconds} seconds.`, 429);
    }
    await next();
    return undefined;
  };
}

/** The CSP for a single-page app served from this origin; avatars come from the providers. */
function contentSecurityPolicy(auth: AuthConfig) {
  // A sign-in form may post to /auth/:provider/start, which redirects to the provider.
  const providerOrigins = Object.values(auth.providers).map(
    (provider) => new URL(provider.authorizationEndpoint).origin,
  );
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:", "https:"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'", ...new Set(providerOrigins)],
    frameAncestors: ["'none'"],
  };
}

export function createApp(options: AppOptions): Hono<HostBindings> {
  const { database, logger } = options;
  const secure = isSecureContext(options.auth.baseUrl);
  const publicOrigin = new URL(options.auth.baseUrl).origin;
  const auth = createAuth({ database, config: options.auth });
  const signInLimiter = new RateLimiter(options.rateLimits?.signIn ?? defaultRateLimits.signIn);
  const callLimits = hostCallLimits({ ...defaultCallLimits, ...options.rateLimits });
  const maxBatchCalls = options.maxBatchCalls ?? defaultMaxBatchCalls;
  const maxBody = options.bodyLimitBytes ?? 1024 * 1024;
  const proxyHops = options.trustedProxyHops ?? 0;
  const cacheBytes = options.chartCacheBytes ?? defaultChartCacheBytes;
  const charts = cacheBytes > 0 ? new ChartCache({ maxBytes: cacheBytes }) : undefined;
  // Stripe sends people back to the app's own origin.
  const billing =
    options.billing?.mode === "stripe"
      ? { ...options.billing, appUrl: options.auth.baseUrl }
      : (options.billing ?? null);
  const app = new Hono<HostBindings>();

  // 1. Request id (an incoming X-Request-Id is kept when well-formed, and echoed), logging.
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("clientIp", clientAddressFrom(c.req.header("x-forwarded-for"), socketAddress(c), proxyHops));
    c.set("log", logger.child({ requestId: c.var.requestId }));
    await next();
    const entry = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ip: c.var.clientIp,
    };
    if (probes.has(c.req.path)) c.var.log.debug(entry, "request");
    else c.var.log.info(entry, "request");
  });

  // 2. Headers every answer carries; the body limit before anything reads a body.
  app.use(
    secureHeaders({
      contentSecurityPolicy: contentSecurityPolicy(options.auth),
      xFrameOptions: "DENY",
      xContentTypeOptions: true,
      referrerPolicy: "strict-origin-when-cross-origin",
    }),
  );
  // File imports stream past the body limit below, under their own (import-route.ts).
  app.route("/import", importRoutes({ database, publicOrigin, secure, limits: callLimits, billing }));
  const limitBody = bodyLimit({
    maxSize: maxBody,
    onError: (c) => {
      // The unread rest of the body is still on the socket: the connection cannot be reused.
      c.header("connection", "close");
      return c.json(
        {
          error: {
            code: "PAYLOAD_TOO_LARGE",
            message: `The request body is larger than the ${Math.floor(maxBody / 1024)} KiB this server accepts.`,
          },
        },
        413,
      );
    },
  });
  // GET and HEAD carry no body (the fetch standard refuses one), and asking for it makes the Node
  // adapter build a whole Request: 4% of the host's thread on a kept chart.
  app.use((c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));

  // 3. Probes: the process is up; the database answers.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await withTimeout(database.ping(), options.readinessTimeoutMs ?? 2_000);
      return c.json({ status: "ready" });
    } catch (error) {
      c.var.log.warn({ err: error }, "readiness check failed");
      return c.json({ status: "unavailable", reason: "The database is not reachable." }, 503);
    }
  });

  // 4. Sign-in. Form posts must come from our own origin (the session cookie is SameSite=Lax).
  const signInLimit = rateLimited(signInLimiter, "sign-in");
  app.use("/auth/:provider/start", signInLimit);
  app.use("/auth/:provider/callback", signInLimit);
  app.use("/auth/dev", signInLimit);
  app.use("/auth/*", csrf({ origin: publicOrigin }));
  app.route("/auth", authRoutes({ auth, config: options.auth, database }));

  // 5. tRPC: writes only from our own pages; at most so many requests at once host-wide (a busy
  // host refuses the rest with 503 at once); batches of at most maxBatchCalls; the context from
  // the session cookie. Each call is charged and admitted by the API's procedures (callLimits):
  // only they know whose call it is.
  app.use("/trpc/*", sameOriginWrites(publicOrigin));
  app.use("/trpc/*", overloadBound({ ...defaultOverloadLimit, ...options.overload }));
  app.all("/trpc/*", (c) =>
    fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router: appRouter,
      createContext: ({ req, resHeaders, info }) => {
        if (info.calls.length > maxBatchCalls) {
          throw new TRPCError({
            code: "BAD_REQUEST",
            message: `A batch may carry at most ${maxBatchCalls} calls; this one carries ${info.calls.length}.`,
          });
        }
        if (c.var.overloaded !== null) {
          throw new TRPCError({
            code: "SERVICE_UNAVAILABLE",
            message: "Northstar is busy right now; try again in a moment.",
            cause: new CallsRefused(c.var.overloaded),
          });
        }
        const sessionCookie = sessionCookieFrom(req.headers.get("cookie"), secure);
        if (sessionCookie.kind === "several") {
          throw new TRPCError({
            code: "BAD_REQUEST",
            message:
              "This browser sent two Northstar session cookies, so neither is trusted; clear this site's cookies and sign in again.",
          });
        }
        return createTRPCContext({
          database,
          sessionToken: sessionCookie.kind === "one" ? sessionCookie.token : null,
          request: { ip: c.var.clientIp, userAgent: req.headers.get("user-agent"), requestId: c.var.requestId },
          secureCookies: secure,
          credentialsKeyring: options.credentialsKeyring ?? undefined,
          jobs: options.jobs ?? undefined,
          limits: callLimits,
          billing: billing ?? undefined,
          charts,
          setCookie: (cookie) => {
            resHeaders.append("set-cookie", cookie.header);
          },
        });
      },
      // A refusal for too many calls, or of a busy host, says when to come back.
      responseMeta: ({ errors }) => {
        const wait = retryAfterSeconds(errors);
        return wait === null ? {} : { headers: new Headers({ "retry-after": String(wait) }) };
      },
      onError: ({ error, path, type }) => {
        // The api's formatter keeps internal errors' text out of responses; it belongs here.
        if (error.code === "INTERNAL_SERVER_ERROR")
          c.var.log.error({ err: error.cause ?? error, path, type }, "tRPC call failed");
        else c.var.log.debug({ code: error.code, path, type }, "tRPC call refused");
      },
    }),
  );

  // 5b. The public REST API: Bearer keys only (cookies are never read, so no same-origin check).
  const restApi = createRestApi({
    database,
    billing,
    charts,
    limiter: new RateLimiter(options.rateLimits?.restApi ?? defaultRateLimits.restApi),
    onError: (error) => {
      logger.error({ err: error }, "REST API call failed");
    },
  });
  app.all("/api/v1/*", (c) =>
    restApi(c.req.raw, {
      ip: c.var.clientIp,
      userAgent: c.req.header("user-agent") ?? null,
      requestId: c.var.requestId,
    }),
  );

  // 6. Stripe's webhook: signed, not cookie-authenticated; its own narrow database path.
  app.route("/webhooks/stripe", stripeWebhookRoutes({ database, billing }));

  // 6b. The workspace export, a download for owners checked like a tRPC call (export.ts).
  app.route("/api/workspaces", exportRoutes({ database, secure, limits: callLimits, billing }));

  // 7. The client, last: its fallback answers every other GET.
  app.route(
    "/",
    clientRoutes({
      clientDir: options.clientDir ?? null,
      devServer: options.clientDevServer ?? null,
      auth: options.auth,
    }),
  );

  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: "No such route." } }, 404));
  app.onError((error, c) => {
    // Middleware refusals (csrf: 403) carry their own answer.
    if (error instanceof HTTPException) return error.getResponse();
    c.var.log.error({ err: error }, "request failed");
    return c.json(
      { error: { code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side; try again." } },
      500,
    );
  });
  return app;
}
