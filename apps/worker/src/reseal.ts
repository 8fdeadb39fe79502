import {
  credentialsBinding,
  type Database,
  type Keyring,
  needsReseal,
  open,
  queryRows,
  seal,
  sql,
} from "@northstar/db";
import type { Logger } from "pino";

// Key rotation: re-seal every integration's credentials sealed under a key other than the
// current one, to the current public key (rows sealed with the old symmetric keys included: that is
// how an upgrade moves them into the sealed box). Listed across workspaces by
// app.integrations_to_reseal() (ids only), each re-sealed inside its own workspace's context, for
// the origin its config names now. Opened in memory only; a row that does not open is left alone
// and counted (the next sync disables it with a message the user can act on).

export interface ResealResult {
  resealed: number;
  unreadable: number;
}

/** Integrations sealed under another key, as northstar_worker across workspaces (ids only). */
function staleRows(
  database: Database,
  currentKeyId: string,
  limit: number,
): Promise<Array<{ workspaceId: string; integrationId: string }>> {
  return queryRows(
    database.workerReader(),
    sql<{ workspaceId: string; integrationId: string }>`SELECT workspace_id AS "workspaceId",
      integration_id AS "integrationId" FROM app.integrations_to_reseal(${currentKeyId}, ${limit})`,
  );
}

export async function resealCredentials(
  database: Database,
  keyring: Keyring,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, unreadable: 0 };
  const skipped = new Set<string>();
  for (;;) {
    signal?.throwIfAborted();
    const rows = (await staleRows(database, keyring.current.id, 500 + skipped.size)).filter(
      (row) => !skipped.has(row.integrationId),
    );
    if (rows.length === 0) return result;
    for (const { workspaceId, integrationId } of rows) {
      const outcome = await database.withWorkerContext(workspaceId, async (tx) => {
        const found = await queryRows(
          tx,
          sql<{
            credentials: Uint8Array | null;
            keyId: string | null;
            provider: string;
            config: Readonly<Record<string, unknown>> | null;
          }>`
            SELECT credentials, credentials_key_id AS "keyId", provider, config FROM integrations
             WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid FOR UPDATE`,
        );
        const row = found[0];
        if (!row?.credentials || !row.keyId || !needsReseal(keyring, row.keyId)) return "current";
        const binding = credentialsBinding(workspaceId, integrationId, row.provider, row.config ?? {});
        let plain: unknown;
        try {
          plain = open(keyring, { ciphertext: row.credentials, keyId: row.keyId }, binding);
        } catch {
          return "unreadable";
        }
        const sealed = seal(keyring, plain, binding);
        await tx.$executeRaw`
          UPDATE integrations
             SET credentials = ${sealed.ciphertext}, credentials_key_id = ${sealed.keyId}, updated_at = now()
           WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid`;
        return "resealed";
      });
      if (outcome === "resealed") result.resealed++;
      else {
        skipped.add(integrationId);
        if (outcome === "unreadable") {
          result.unreadable++;
          logger.warn({ workspaceId, integrationId }, "credentials do not open with the keyring; left as they are");
        }
      }
    }
  }
}
