// Accepting invitations happens at sign-in and on request (me.acceptInvitations): one statement
// for both, so that they join the same workspaces the same way.
import { queryRows, type ScopedDb, sql } from "@northstar/db";

/**
 * Turns the context user's pending, unexpired invitations into memberships (app.accept_invitations,
 * db scoped to that user); the ids of the workspaces joined.
 */
export async function acceptInvitations(db: ScopedDb): Promise<string[]> {
  const rows = await queryRows(db, sql<{ id: string }>`SELECT id::text AS id FROM app.accept_invitations() AS id`);
  return rows.map((row) => row.id);
}
