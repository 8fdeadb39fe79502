import { randomUUID } from "node:crypto";
import { type ProviderDefinition, providerIdSchema, providers } from "@northstar/core/provider-schemas";
import { can } from "@northstar/core/permissions";
import {
  credentialsHint,
  credentialsOrigin,
  providerCatalogue,
  type ProviderMetric,
  urlOrigin,
  urlWithoutSecrets,
} from "@northstar/core/providers";
import { integrationNameSchema, syncIntervalSchema } from "@northstar/core/schemas";
import { credentialsBinding, type PublicKeyring, Prisma, type ScopedDb, seal, type WorkspaceRole } from "@northstar/db";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { pageOf } from "../pagination.ts";
import { assertIntegrationCapacity, assertIntegrationWritable } from "../plans.ts";
import { workspaceProcedure } from "../trpc.ts";

// Connected integrations. Credentials are sealed here to the worker's public key (bound to their
// row and, for a provider whose URL is in its settings, to that URL's origin) and never selected
// again: the host cannot open them, and responses carry only the redacted hint made at connect
// time. A new origin needs the credentials entered again. Members who may not manage
// integrations see URLs without user-info or query string, which often carry keys.

/** The key in `config` that keeps the redacted hint; provider config schemas strip it from input. */
const hintKey = "__credentialsHint";

const integrationSelect = {
  id: true,
  provider: true,
  name: true,
  config: true,
  syncStatus: true,
  syncIntervalSeconds: true,
  lastSyncedAt: true,
  lastAttemptAt: true,
  nextSyncAt: true,
  consecutiveFailures: true,
  lastErrorCode: true,
  lastErrorMessage: true,
  lastErrorAt: true,
  authFailedAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.IntegrationSelect;

type IntegrationRow = Prisma.IntegrationGetPayload<{ select: typeof integrationSelect }>;

/** The stored config, without the hint, and the hint. */
function storedConfig(row: IntegrationRow): { config: Prisma.JsonObject; hint: string | null } {
  const stored = typeof row.config === "object" && row.config !== null && !Array.isArray(row.config) ? row.config : {};
  const { [hintKey]: hint, ...config } = stored;
  return { config, hint: typeof hint === "string" ? hint : null };
}

/**
 * The row as `role` may see it: to members who do not manage integrations, every http(s) URL in
 * the settings without its user-info and query string (an api_key there is a credential).
 */
function present(row: IntegrationRow, role: WorkspaceRole) {
  const { config, hint } = storedConfig(row);
  const shown = can(role, "integration.manage")
    ? config
    : Object.fromEntries(
        Object.entries(config).map(([key, value]) => [
          key,
          typeof value === "string" && urlOrigin(value) !== null ? urlWithoutSecrets(value) : value,
        ]),
      );
  return { ...row, config: shown, credentialsHint: hint };
}

const integrationId = z.uuid({ error: "Integration id must be a UUID" });
const integrationRef = z.object({ integrationId });
const looseObject = (label: string) => z.record(z.string(), z.unknown(), { error: `${label} must be an object` });

/** Validates against a provider's schema, reporting issues under `field` (a BAD_REQUEST with zodError). */
function parseFor<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Parsed again inside an object so the issues' paths start at the input's field.
  const framed = z.object({ [field]: schema }).safeParse({ [field]: value });
  const error = framed.success ? parsed.error : framed.error;
  throw new TRPCError({
    code: "BAD_REQUEST",
    message: error.issues.map((issue) => issue.message).join("; "),
    cause: error,
  });
}

function keyringOf(keyring: PublicKeyring | null): PublicKeyring {
  if (!keyring)
    throw new TRPCError({
      code: "PRECONDITION_FAILED",
      message: "Integrations are not configured on this server (no credentials public key).",
    });
  return keyring;
}

/** Sealed to the worker's public key for this row and the origin its config targets. */
function sealFor(
  keyring: PublicKeyring,
  provider: ProviderDefinition,
  credentials: Record<string, string | undefined>,
  config: Record<string, unknown>,
  workspaceId: string,
  id: string,
) {
  const sealed = seal(keyring, credentials, credentialsBinding(workspaceId, id, provider.id, config));
  return {
    credentials: sealed.ciphertext,
    credentialsKeyId: sealed.keyId,
    hint: credentialsHint(provider, credentials),
  };
}

function providerOf(id: string): ProviderDefinition {
  const parsed = providerIdSchema.safeParse(id);
  if (!parsed.success)
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: `The provider "${id}" is no longer supported.` });
  return providers[parsed.data];
}

const metricKeySchema = z
  .string({ error: "Metric is required" })
  .trim()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "Metric must be a metric key of the provider, e.g. stars");

function metricOf(provider: ProviderDefinition, key: string): ProviderMetric {
  const metric = provider.metrics.find((candidate) => candidate.key === key);
  if (!metric) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${provider.name} has no metric "${key}"; use one of: ${provider.metrics.map((candidate) => candidate.key).join(", ")}.`,
    });
  }
  return metric;
}

async function findIntegration(db: ScopedDb, workspaceId: string, id: string): Promise<IntegrationRow> {
  const row = await db.integration.findUnique({
    where: { workspaceId_id: { workspaceId, id } },
    select: integrationSelect,
  });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Integration not found." });
  return row;
}

export const integrationRouter = {
  /** The providers a workspace can connect, with the credential fields a form renders. */
  providers: workspaceProcedure("integration.read").query(() => providerCatalogue()),

  list: workspaceProcedure("integration.read").query(async ({ ctx }) => {
    const rows = await ctx.db.integration.findMany({
      where: { workspaceId: ctx.workspace.id },
      select: integrationSelect,
      orderBy: [{ name: "asc" }, { id: "asc" }],
    });
    return rows.map((row) => present(row, ctx.workspace.role));
  }),

  get: workspaceProcedure("integration.read")
    .input(integrationRef)
    .query(async ({ ctx, input }) =>
      present(await findIntegration(ctx.db, ctx.workspace.id, input.integrationId), ctx.workspace.role),
    ),

  connect: workspaceProcedure("integration.manage")
    .input(
      z.object({
        provider: providerIdSchema,
        name: integrationNameSchema,
        credentials: looseObject("Credentials"),
        config: looseObject("Config").default({}),
        syncIntervalSeconds: syncIntervalSchema.default(3600),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const provider = providers[input.provider];
      const credentials = parseFor(provider.credentials, input.credentials, "credentials");
      const config = parseFor(provider.config, input.config, "config");
      const keyring = keyringOf(ctx.credentialsKeyring);
      await assertIntegrationCapacity(ctx.db, ctx.workspace.id, ctx.billing);
      // The id is chosen here so the ciphertext can be bound to its row before the insert.
      const id = randomUUID();
      const sealed = sealFor(keyring, provider, credentials, config, ctx.workspace.id, id);
      const row = await ctx.db.integration.create({
        data: {
          id,
          workspaceId: ctx.workspace.id,
          provider: provider.id,
          name: input.name,
          config: { ...config, [hintKey]: sealed.hint },
          credentials: sealed.credentials,
          credentialsKeyId: sealed.credentialsKeyId,
          syncIntervalSeconds: input.syncIntervalSeconds,
          nextSyncAt: ctx.clock(),
        },
        select: integrationSelect,
      });
      return present(row, ctx.workspace.role);
    }),

  /** Renames, reconfigures, changes the interval, or replaces the credentials (never shown back). */
  update: workspaceProcedure("integration.manage")
    .input(
      integrationRef.extend({
        name: integrationNameSchema.optional(),
        config: looseObject("Config").optional(),
        syncIntervalSeconds: syncIntervalSchema.optional(),
        credentials: looseObject("Credentials").optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const current = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      await assertIntegrationWritable(ctx.db, ctx.workspace.id, current.id, ctx.billing);
      const stored = storedConfig(current);
      const provider = providerOf(current.provider);
      const config = input.config === undefined ? undefined : parseFor(provider.config, input.config, "config");
      const credentials =
        input.credentials === undefined ? undefined : parseFor(provider.credentials, input.credentials, "credentials");
      // The stored credentials are sealed for the current origin and the worker will not send them
      // anywhere else: a new origin takes the credentials again (refused rather than dropped, so
      // that a sync never quietly runs without them).
      const originBefore = credentialsOrigin(provider, stored.config);
      const originAfter = config === undefined ? originBefore : credentialsOrigin(provider, config);
      if (originAfter !== originBefore && credentials === undefined)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `The URL's origin changed (${originBefore ?? "none"} to ${originAfter ?? "none"}): enter the credentials again; they are only sent to the address they were entered for.`,
        });
      const sealed =
        credentials === undefined
          ? undefined
          : sealFor(
              keyringOf(ctx.credentialsKeyring),
              provider,
              credentials,
              config ?? stored.config,
              ctx.workspace.id,
              current.id,
            );
      const hint = sealed ? sealed.hint : stored.hint;
      const data: Prisma.IntegrationUpdateInput = {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.syncIntervalSeconds === undefined ? {} : { syncIntervalSeconds: input.syncIntervalSeconds }),
        ...(config === undefined && sealed === undefined
          ? {}
          : { config: { ...(config ?? stored.config), [hintKey]: hint } }),
        // New credentials deserve a new chance: the worker stops waiting on the old ones.
        ...(sealed === undefined
          ? {}
          : { credentials: sealed.credentials, credentialsKeyId: sealed.credentialsKeyId, authFailedAt: null }),
        // Another source (settings, or credentials such as a CSV's URL): its history is fetched
        // from the start, and a sync still running on the old ones loses its lease, so that it
        // writes nothing (nor marks the new credentials as refused); it runs again, due now.
        ...(config === undefined && sealed === undefined
          ? {}
          : {
              syncCursor: Prisma.DbNull,
              leaseToken: null,
              leaseExpiresAt: null,
              ...(current.syncStatus === "SYNCING" ? { syncStatus: "QUEUED" as const, nextSyncAt: ctx.clock() } : {}),
            }),
      };
      const row = await ctx.db.integration.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: current.id } },
        data,
        select: integrationSelect,
      });
      return present(row, ctx.workspace.role);
    }),

  disable: workspaceProcedure("integration.manage")
    .input(integrationRef)
    .mutation(async ({ ctx, input }) => {
      await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      const row = await ctx.db.integration.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.integrationId } },
        data: { syncStatus: "DISABLED" },
        select: integrationSelect,
      });
      return present(row, ctx.workspace.role);
    }),

  /** Back to IDLE and due now; a disabled integration's auth failure and failure count are forgiven. */
  enable: workspaceProcedure("integration.manage")
    .input(integrationRef)
    .mutation(async ({ ctx, input }) => {
      const current = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      if (current.syncStatus !== "DISABLED") return present(current, ctx.workspace.role);
      await assertIntegrationWritable(ctx.db, ctx.workspace.id, current.id, ctx.billing);
      const row = await ctx.db.integration.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.integrationId } },
        data: { syncStatus: "IDLE", authFailedAt: null, consecutiveFailures: 0, nextSyncAt: ctx.clock() },
        select: integrationSelect,
      });
      return present(row, ctx.workspace.role);
    }),

  /** Queues a sync now (a running sync is left to finish; a disabled integration must be enabled first). */
  syncNow: workspaceProcedure("integration.manage")
    .input(integrationRef)
    .mutation(async ({ ctx, input }) => {
      const current = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      if (current.syncStatus === "DISABLED") {
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: "This integration is disabled; enable it (and fix its credentials) first.",
        });
      }
      if (current.syncStatus === "SYNCING") return present(current, ctx.workspace.role);
      await assertIntegrationWritable(ctx.db, ctx.workspace.id, current.id, ctx.billing);
      // Status and due time in one update, inside the procedure's transaction; then the job. The
      // queue is another connection: a worker that takes the job at once waits on this row's lock
      // until the transaction commits. Should the send be lost, the row is due now and the
      // dispatcher enqueues it within a minute.
      const row = await ctx.db.integration.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.integrationId } },
        data: { syncStatus: "QUEUED", nextSyncAt: ctx.clock() },
        select: integrationSelect,
      });
      await ctx.jobs
        ?.requestSync({ workspaceId: ctx.workspace.id, integrationId: input.integrationId })
        .catch(() => undefined);
      return present(row, ctx.workspace.role);
    }),

  /** The provider's metrics, each with the KPI it writes into (null: not mapped). */
  metrics: workspaceProcedure("integration.read")
    .input(integrationRef)
    .query(async ({ ctx, input }) => {
      const integration = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      const mappings = await ctx.db.integrationMetric.findMany({
        where: { workspaceId: ctx.workspace.id, integrationId: integration.id },
        select: { metricKey: true, kpi: { select: { id: true, name: true, isActive: true } } },
      });
      const kpiOf = new Map(mappings.map((mapping) => [mapping.metricKey, mapping.kpi]));
      return providerOf(integration.provider).metrics.map((metric) => ({
        ...metric,
        kpi: kpiOf.get(metric.key) ?? null,
      }));
    }),

  /** Maps a provider metric to a KPI of the workspace (replacing its previous KPI, if any). */
  mapMetric: workspaceProcedure("integration.manage")
    .input(integrationRef.extend({ metricKey: metricKeySchema, kpiId: z.uuid({ error: "KPI id must be a UUID" }) }))
    .mutation(async ({ ctx, input }) => {
      const integration = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      await assertIntegrationWritable(ctx.db, ctx.workspace.id, integration.id, ctx.billing);
      const metric = metricOf(providerOf(integration.provider), input.metricKey);
      const kpi = await ctx.db.kpi.findUnique({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.kpiId } },
        select: { id: true, name: true, isActive: true },
      });
      if (!kpi) throw new TRPCError({ code: "NOT_FOUND", message: "KPI not found." });
      if (!kpi.isActive)
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: "This KPI is archived; restore it before mapping a metric to it.",
        });
      const key = { workspaceId: ctx.workspace.id, integrationId: integration.id, metricKey: metric.key };
      await ctx.db.integrationMetric.upsert({
        where: { workspaceId_integrationId_metricKey: key },
        create: { ...key, kpiId: kpi.id },
        update: { kpiId: kpi.id },
      });
      return { ...metric, kpi };
    }),

  /** Stops a provider metric from writing into any KPI (its points written so far stay). */
  unmapMetric: workspaceProcedure("integration.manage")
    .input(integrationRef.extend({ metricKey: metricKeySchema }))
    .mutation(async ({ ctx, input }) => {
      const integration = await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      await assertIntegrationWritable(ctx.db, ctx.workspace.id, integration.id, ctx.billing);
      const metric = metricOf(providerOf(integration.provider), input.metricKey);
      const removed = await ctx.db.integrationMetric.deleteMany({
        where: { workspaceId: ctx.workspace.id, integrationId: integration.id, metricKey: metric.key },
      });
      return { ...metric, kpi: null, removed: removed.count > 0 };
    }),

  /** Recent sync runs, newest first, a page at a time (pass the returned nextCursor to continue). */
  runs: workspaceProcedure("integration.read")
    .input(
      integrationRef.extend({
        cursor: z.uuid({ error: "Cursor must be a sync run id" }).optional(),
        limit: z.number().int().min(1, "Limit must be at least 1").max(100, "Limit must be at most 100").default(20),
      }),
    )
    .query(async ({ ctx, input }) => {
      await findIntegration(ctx.db, ctx.workspace.id, input.integrationId);
      const rows = await ctx.db.syncRun.findMany({
        where: { workspaceId: ctx.workspace.id, integrationId: input.integrationId },
        select: {
          id: true,
          status: true,
          startedAt: true,
          finishedAt: true,
          pointsWritten: true,
          errorCode: true,
          errorMessage: true,
        },
        orderBy: [{ startedAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        ...(input.cursor
          ? { cursor: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.cursor } }, skip: 1 }
          : {}),
      });
      return pageOf(rows, input.limit);
    }),
} satisfies TRPCRouterRecord;
