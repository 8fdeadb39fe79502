import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { rethrowAsDatabaseError } from "./errors.ts";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

// The only handle a request gets: a Prisma transaction client whose every statement runs inside
// one transaction, as the unprivileged role, with the request's user and workspace set.
export type ScopedDb = Prisma.TransactionClient;

/** Who a transaction acts for. Row-level security reads these from transaction-local settings. */
export interface RequestContext {
  userId: string | null;
  workspaceId: string | null;
}

export type DatabaseRole = "northstar_app" | "northstar_worker";

export interface DatabaseOptions {
  /** The login to connect as (it must be allowed to SET ROLE to the runtime roles). */
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Longest a request's transaction may stay open. */
  transactionTimeoutMs?: number;
}

export interface Database {
  /** Runs `work` in one transaction as northstar_app for this user (and workspace, when given). */
  withContext<T>(context: RequestContext, work: (db: ScopedDb) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction as northstar_worker for this workspace. */
  withWorkerContext<T>(workspaceId: string, work: (db: ScopedDb) => Promise<T>): Promise<T>;
  /** The pool, for readiness checks and bulk COPY; it has no context of its own. */
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertUuidOrNull(name: string, value: string | null): void {
  if (value !== null && !uuidPattern.test(value)) throw new TypeError(`${name} must be a UUID, got ${JSON.stringify(value)}`);
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: "northstar",
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const timeout = options.transactionTimeoutMs ?? 10_000;

  async function run<T>(role: DatabaseRole, context: RequestContext, work: (db: ScopedDb) => Promise<T>): Promise<T> {
    assertUuidOrNull("userId", context.userId);
    assertUuidOrNull("workspaceId", context.workspaceId);
    try {
      return await prisma.$transaction(
        async (tx) => {
          // One round trip: the role and both settings, all transaction-local, so a pooled
          // connection never carries this request's identity into the next one.
          await tx.$executeRaw`SELECT set_config('role', ${role}, true),
            set_config('app.user_id', ${context.userId ?? ""}, true),
            set_config('app.workspace_id', ${context.workspaceId ?? ""}, true)`;
          return work(tx);
        },
        { timeout, maxWait: options.connectionTimeoutMs ?? 5_000 },
      );
    } catch (error) {
      return rethrowAsDatabaseError(error);
    }
  }

  return {
    pool,
    withContext: (context, work) => run("northstar_app", context, work),
    withWorkerContext: (workspaceId, work) => run("northstar_worker", { userId: null, workspaceId }, work),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
