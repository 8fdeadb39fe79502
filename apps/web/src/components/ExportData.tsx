import { can, type Role } from "../lib/permissions.ts";

// Settings' "Export data": plain links to the host's download routes (server/export.ts), so the
// browser streams the file straight to disk with the session cookie; nothing passes through the
// client's memory. Owners only, as the server checks again.

export function ExportData({ workspaceId, role }: { workspaceId: string; role: Role | null | undefined }) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/export`;
  return (
    <section className="card section" aria-labelledby="export-title">
      <h2 id="export-title">Export data</h2>
      {can(role, "workspace.export") ? (
        <>
          <p>
            Download everything this workspace holds: members, invitations, KPIs with every value, goals, integrations
            and their sync history, and your subscription. Integration credentials are not included: they never leave
            the sync worker.
          </p>
          <div className="inline-form">
            <a className="button" href={`${base}.json`} download>
              Download JSON
            </a>
            <a className="button" href={`${base}.zip`} download>
              Download CSV (ZIP)
            </a>
          </div>
          <p className="muted small">One JSON document, or a ZIP with one CSV file per table.</p>
        </>
      ) : (
        <p className="muted">Only an owner can export the workspace’s data.</p>
      )}
    </section>
  );
}
