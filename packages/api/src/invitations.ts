// The invitee's side of an invitation: list mine, accept one, decline one. The invitee is not a
// member of the workspace yet, so no policy shows them the row: each question is a SECURITY DEFINER
// function that matches only the signed-in user's email, the one their provider verified at their
// last sign-in (app.my_invitations, app.accept_invitation, app.decline_invitation).
import { queryRows, type ScopedDb, sql, type WorkspaceRole } from "@northstar/db";

export interface MyInvitation {
  id: string;
  workspaceId: string;
  workspaceName: string;
  role: WorkspaceRole;
  /** Who invited me; null when that account is gone. */
  invitedByName: string | null;
  expiresAt: Date;
  createdAt: Date;
}

/** The context user's pending, unexpired invitations, newest first. */
export function myInvitations(db: ScopedDb): Promise<MyInvitation[]> {
  return queryRows(
    db,
    sql<MyInvitation>`
      SELECT invitation_id::text AS id, workspace_id::text AS "workspaceId", workspace_name AS "workspaceName",
             role::text AS role, invited_by_name AS "invitedByName", expires_at AS "expiresAt",
             created_at AS "createdAt"
        FROM app.my_invitations()`,
  );
}

/**
 * Accepts one of the context user's pending invitations: the membership is created with the
 * invited role. The workspace's id, or null when the user has no such invitation.
 */
export async function acceptInvitation(db: ScopedDb, invitationId: string): Promise<string | null> {
  const rows = await queryRows(
    db,
    sql<{ id: string | null }>`SELECT app.accept_invitation(${invitationId}::uuid)::text AS id`,
  );
  return rows[0]?.id ?? null;
}

/** Declines one of the context user's pending invitations; false when there was none to decline. */
export async function declineInvitation(db: ScopedDb, invitationId: string): Promise<boolean> {
  const rows = await queryRows(
    db,
    sql<{ declined: boolean }>`SELECT app.decline_invitation(${invitationId}::uuid) AS declined`,
  );
  return rows[0]?.declined === true;
}
