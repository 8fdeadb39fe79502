import { createHash } from "node:crypto";
import { uuidPattern } from "@northstar/core/uuid";
import { PrismaPg } from "@prisma/adapter-pg";
import { LRUCache } from "lru-cache";
import pg from "pg";
import { isConnectionLost, rethrowAsDatabaseError, toDatabaseError } from "./errors.ts";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";
import type { Query, RowsOf } from "./query.ts";
import { SharedReaders } from "./shared-readers.ts";

// The only handle a request gets: a Prisma transaction client whose every statement runs inside
// one transaction, as the unprivileged role, with the request's user and workspace set.
export type ScopedDb = Prisma.TransactionClient;

/** Who a transaction acts for. Row-level security reads these from transaction-local settings. */
export interface RequestContext {
  userId: string | null;
  workspaceId: string | null;
  /**
   * The API key a request acts with (its creator is userId): row-level security then caps the
   * user's role at the key's scope, and a revoked key's requests see nothing (app.api_key_id).
   */
  apiKeyId?: string | null;
}

export type DatabaseRole = "northstar_app" | "northstar_worker";

/**
 * What the read helpers (series.ts) need: a ScopedDb inside withContext, or a ContextReader.
 * Rows must use types both decode alike: timestamptz, float8, int4, text, uuid, enums cast to text.
 */
export interface RawQueryable {
  $queryRaw<T = unknown>(query: Prisma.Sql): PromiseLike<T>;
}

/** A query's rows, typed by the query, through either handle (a ScopedDb or a ContextReader). */
export async function queryRows<Row>(db: RawQueryable, query: Query<Row>): Promise<Row[]> {
  return db.$queryRaw<Row[]>(query);
}

/** What batch answers: the rows of each query, in the queries' order. */
export type RowsOfEach<Q extends readonly Query<unknown>[]> = { [K in keyof Q]: RowsOf<Q[K]> };

/**
 * Hot reads without Prisma: each $queryRaw (queryRows(reader, query)) is its own READ ONLY transaction
 * as the reader's role with its context, sent as one pipelined round trip (BEGIN + settings, the
 * statement, COMMIT).
 * Two calls see two snapshots; use withContext when reads must agree with each other or with writes.
 */
export interface ContextReader extends RawQueryable {
  readonly context: Readonly<RequestContext>;
  /**
   * Several statements in ONE read-only transaction with one snapshot (REPEATABLE READ), still one
   * round trip: for reads that must agree, known before the first answer. Rows per statement, in
   * order, each typed by its query: `const [kpis, plans] = await read.batch(kpiQuery, planQuery)`.
   */
  batch<const Q extends readonly Query<unknown>[]>(...queries: Q): Promise<RowsOfEach<Q>>;
}

export interface DatabaseOptions {
  /**
   * The login to connect as: the process's own (src/logins.ts), allowed to SET ROLE to its runtime
   * role only. Work as another role fails with 42501.
   */
  url: string;
  poolSize?: number;
  /** The readers' shared connections (see Database.reader); defaults to defaultReadPoolSize, or poolSize if smaller. */
  readPoolSize?: number;
  /** Reads in flight on a read connection before the next is used; defaults to defaultReadDepth (shared-readers.ts). */
  readDepth?: number;
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Longest a request's transaction may stay open. */
  transactionTimeoutMs?: number;
  /**
   * Told when an idle pooled connection fails (server restart); the pool drops and replaces it.
   * Without a listener the failure is ignored rather than ending the process.
   */
  onIdleConnectionError?: (error: Error) => void;
}

export interface Database {
  /**
   * Runs `work` in one transaction as northstar_app for this user (and workspace, when given).
   * `transactionTimeoutMs` lengthens this one transaction (a bulk import), not the others.
   */
  withContext<T>(
    context: RequestContext,
    work: (db: ScopedDb) => Promise<T>,
    options?: { transactionTimeoutMs?: number },
  ): Promise<T>;
  /** Runs `work` in one transaction as northstar_worker for this workspace. */
  withWorkerContext<T>(workspaceId: string, work: (db: ScopedDb) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction as northstar_worker with no workspace: the worker's maintenance
   * across workspaces (app.maintain_point_partitions), through SECURITY DEFINER functions granted
   * to that role alone; its policies show it no tenant's rows without a workspace.
   */
  withWorkerMaintenance<T>(work: (db: ScopedDb) => Promise<T>, options?: { transactionTimeoutMs?: number }): Promise<T>;
  /** A one-round-trip reader acting as northstar_app for this context (see ContextReader). */
  reader(context: RequestContext): ContextReader;
  /**
   * A one-round-trip reader acting as northstar_worker with no workspace: for the worker's listings
   * across workspaces (app.due_integrations, app.integrations_to_reseal), which need no context.
   */
  workerReader(): ContextReader;
  /**
   * Resolves once the server answers a trivial statement (readiness probes). There is no raw pool
   * to query: every statement runs in a role and context set by the methods above.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

function assertUuidOrNull(name: string, value: string | null): void {
  if (value !== null && !uuidPattern.test(value))
    throw new TypeError(`${name} must be a UUID, got ${JSON.stringify(value)}`);
}

function assertContext(context: RequestContext): void {
  assertUuidOrNull("userId", context.userId);
  assertUuidOrNull("workspaceId", context.workspaceId);
  assertUuidOrNull("apiKeyId", context.apiKeyId ?? null);
}

const roles: ReadonlySet<string> = new Set<DatabaseRole>(["northstar_app", "northstar_worker"]);

/**
 * The context of a reader's transaction, as one prepared statement: sent in the same write as
 * BEGIN and the reads (pipeline mode), parsed and planned once per connection instead of at every
 * call as literal SQL beside BEGIN was (about 20 us of the database's time per read).
 */
const contextSettingsText = `SELECT set_config('role', $1, true), set_config('app.user_id', $2, true),
    set_config('app.workspace_id', $3, true), set_config('app.api_key_id', $4, true)`;

function contextSettingsValues(role: DatabaseRole, context: RequestContext): string[] {
  if (!roles.has(role)) throw new TypeError(`unknown database role ${JSON.stringify(role)}`);
  assertContext(context);
  return [role, context.userId ?? "", context.workspaceId ?? "", context.apiKeyId ?? ""];
}

// The readers' statements are prepared: parsed and planned once per connection, then reused
// (PostgreSQL plans again by itself when the role, the schema or the statistics call for it).
// Capped per connection, so that ad-hoc SQL cannot grow server memory; past the cap, unnamed.
const maxPreparedPerConnection = 64;
const preparedByConnection = new WeakMap<pg.PoolClient, Set<string>>();

// Statement names by text, so that a hot statement is not hashed again at every call.
const statementNames = new LRUCache<string, string>({ max: 1_000 });

function preparedName(client: pg.PoolClient, text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `northstar_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  let names = preparedByConnection.get(client);
  if (!names) preparedByConnection.set(client, (names = new Set()));
  if (names.has(name)) return name;
  if (names.size >= maxPreparedPerConnection) return undefined;
  names.add(name);
  return name;
}

/**
 * The readers' connections at most unless configured, shared by every read (shared-readers.ts),
 * which use the next only when reads pile up on the ones before. More than the database has cores
 * only adds contention: on a 2-core machine running host and database, 2 or 4 read connections
 * served 15-30% more calls than 10, for every hot read (README, the API benchmark).
 */
export const defaultReadPoolSize = 4;

export function createDatabase(options: DatabaseOptions): Database {
  const poolOptions = {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: "northstar",
  };
  const pool = new pg.Pool({ ...poolOptions, max: options.poolSize ?? 10 });
  // Pipeline mode writes queued statements without waiting for the previous answer. Its own pool,
  // whose connections the readers keep and share: Prisma waits for each answer anyway.
  const readPoolSize = options.readPoolSize ?? Math.min(defaultReadPoolSize, options.poolSize ?? defaultReadPoolSize);
  const readPool = new pg.Pool({ ...poolOptions, max: readPoolSize, pipeline: true });
  // An idle connection that dies (server restart) is dropped by its pool; without a listener the
  // pool's error event would end the process.
  const onIdleError = options.onIdleConnectionError ?? (() => undefined);
  // Connections that died so far (see lostDuring).
  let connectionsLost = 0;
  const checkedOut = new WeakSet<pg.PoolClient>();
  for (const each of [pool, readPool]) {
    each.on("error", (error) => {
      connectionsLost += 1;
      onIdleError(error);
    });
    each.on("acquire", (client) => checkedOut.add(client));
    each.on("release", (_error, client) => checkedOut.delete(client));
    // A connection in use when it dies fails the statements it was running (their callers see the
    // error) and then emits `error` on its client, which pg-pool listens to only while the client is
    // idle: unheard, that event ended the process at a database restart. Heard here, the client goes
    // back to its pool at once, which drops it: Prisma's transaction manager releases a connection
    // only after its ROLLBACK succeeded, which on a dead connection it never does, so each
    // transaction open at a restart would hold its pool slot for good. Its holder's own release
    // later is a no-op.
    each.on("connect", (client) => {
      client.on("error", (error) => {
        connectionsLost += 1;
        if (!checkedOut.has(client)) return;
        client.release(error);
        client.release = () => undefined;
      });
    });
  }
  /**
   * The error a unit of work failed with, told as a lost connection (SQLSTATE 08006) when it carries
   * no code of its own and a pooled connection died meanwhile: pg fails statements on a connection
   * that ended, or had already died, with plain Errors ("Connection terminated unexpectedly", "not
   * queryable"), which would otherwise be internal errors rather than the database being unreachable.
   */
  function lostDuring(lostBefore: number, error: unknown): unknown {
    if (connectionsLost === lostBefore || toDatabaseError(error) || isConnectionLost(error)) return error;
    return Object.assign(new Error("The database connection was lost during the transaction.", { cause: error }), {
      code: "08006",
    });
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const timeout = options.transactionTimeoutMs ?? 10_000;

  async function run<T>(
    role: DatabaseRole,
    context: RequestContext,
    work: (db: ScopedDb) => Promise<T>,
    transactionTimeoutMs = timeout,
  ): Promise<T> {
    assertContext(context);
    const lostBefore = connectionsLost;
    try {
      return await prisma.$transaction(
        async (tx) => {
          // One round trip: the role and the settings, all transaction-local, so a pooled
          // connection never carries this request's identity into the next one. It runs through
          // `tx` on purpose: that is what ties the settings to this very transaction.
          await tx.$executeRaw`SELECT set_config('role', ${role}, true),
            set_config('app.user_id', ${context.userId ?? ""}, true),
            set_config('app.workspace_id', ${context.workspaceId ?? ""}, true),
            set_config('app.api_key_id', ${context.apiKeyId ?? ""}, true)`;
          return work(tx);
        },
        { timeout: transactionTimeoutMs, maxWait: options.connectionTimeoutMs ?? 5_000 },
      );
    } catch (error) {
      return rethrowAsDatabaseError(lostDuring(lostBefore, error));
    }
  }

  const readers = new SharedReaders(readPool, readPoolSize, options.readDepth);

  async function readInContext(
    begin: string,
    settings: readonly string[],
    queries: readonly Prisma.Sql[],
  ): Promise<unknown[][]> {
    const lostBefore = connectionsLost;
    let settled: PromiseSettledResult<pg.QueryResult>[];
    try {
      settled = await readers.use(({ client, drop }) => {
        // Built before anything is sent: a statement that cannot be built must not leave BEGIN open.
        const statements = [{ text: contextSettingsText, values: settings }, ...queries].map((query) => ({
          name: preparedName(client, query.text),
          text: query.text,
          values: query.values,
        }));
        // All are queued at once and answered in order. Should BEGIN or the settings fail, the
        // statements meet an aborted transaction and fail too; COMMIT then only rolls back.
        const sent = [
          client.query(begin),
          ...statements.map((statement) => client.query<pg.QueryResultRow>(statement)),
          client.query("COMMIT"),
        ];
        return Promise.allSettled(sent).then((answers) => {
          // Without a COMMIT answer the connection's state is unknown: out of the rotation.
          if (answers.at(-1)?.status !== "fulfilled") drop();
          return answers;
        });
      });
    } catch (error) {
      return rethrowAsDatabaseError(lostDuring(lostBefore, error));
    }
    const [opened, set, ...answers] = settled;
    const closed = answers.pop();
    for (const first of [opened, set])
      if (first?.status === "rejected") return rethrowAsDatabaseError(lostDuring(lostBefore, first.reason));
    const rows: unknown[][] = [];
    for (const answer of answers) {
      if (answer.status === "rejected") return rethrowAsDatabaseError(lostDuring(lostBefore, answer.reason));
      rows.push(answer.value.rows);
    }
    if (closed?.status === "rejected") return rethrowAsDatabaseError(lostDuring(lostBefore, closed.reason));
    return rows;
  }

  function readerAs(role: DatabaseRole, context: RequestContext): ContextReader {
    const frozen = Object.freeze({
      userId: context.userId,
      workspaceId: context.workspaceId,
      apiKeyId: context.apiKeyId ?? null,
    });
    const settings = contextSettingsValues(role, frozen);
    return {
      context: frozen,
      // Like Prisma's $queryRaw, the row type is the caller's word for it.
      $queryRaw: async <T>(query: Prisma.Sql) => (await readInContext("BEGIN READ ONLY", settings, [query]))[0] as T,
      // The one place a batch's row types are taken on trust: each query declared its own.
      batch: async <const Q extends readonly Query<unknown>[]>(...queries: Q) =>
        (await readInContext(
          queries.length > 1 ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN READ ONLY",
          settings,
          queries,
        )) as RowsOfEach<Q>,
    };
  }

  return {
    withContext: (context, work, options) => run("northstar_app", context, work, options?.transactionTimeoutMs),
    withWorkerContext: (workspaceId, work) => run("northstar_worker", { userId: null, workspaceId }, work),
    withWorkerMaintenance: (work, options) =>
      run("northstar_worker", { userId: null, workspaceId: null }, work, options?.transactionTimeoutMs),
    reader: (context) => readerAs("northstar_app", context),
    workerReader: () => readerAs("northstar_worker", { userId: null, workspaceId: null }),
    async ping() {
      try {
        await pool.query("SELECT 1");
      } catch (error) {
        rethrowAsDatabaseError(error);
      }
    },
    async close() {
      await prisma.$disconnect();
      readers.close();
      await Promise.all([pool.end(), readPool.end()]);
    },
  };
}
