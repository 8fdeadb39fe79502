import { Badge } from "./Feedback.tsx";

// How an integration's state reads: a badge per sync status, errors in plain words.

type SyncStatus = "IDLE" | "QUEUED" | "SYNCING" | "SUCCEEDED" | "FAILED" | "DISABLED";

const statusBadges: Record<SyncStatus, { label: string; tone: "neutral" | "good" | "warn" | "bad" | "info" }> = {
  IDLE: { label: "Waiting", tone: "neutral" },
  QUEUED: { label: "Queued", tone: "info" },
  SYNCING: { label: "Syncing", tone: "info" },
  SUCCEEDED: { label: "Succeeded", tone: "good" },
  FAILED: { label: "Failed", tone: "bad" },
  DISABLED: { label: "Disabled", tone: "neutral" },
};

export function SyncStatusBadge({ status }: { status: SyncStatus }) {
  const { label, tone } = statusBadges[status];
  return <Badge tone={tone}>{label}</Badge>;
}

// The worker's error codes, said the way a person would fix them.
const plainErrors: Record<string, string> = {
  auth_failed: "The provider refused the credentials. They may have been revoked or expired: enter new ones.",
  upstream_unavailable: "The provider did not answer or answered with an error. Northstar will retry on its own.",
  rate_limited: "The provider asked Northstar to slow down. The next sync will try again.",
  timeout: "The provider took too long to answer. The next sync will try again.",
  invalid_response: "The provider answered with data Northstar could not read. Check the URL and the JSON path.",
  not_found: "The address or resource was not found at the provider. Check the settings.",
  invalid_config: "The integration's settings are incomplete or wrong. Edit them and sync again.",
};

export function plainError(code: string | null, message: string | null): string {
  const known = code ? plainErrors[code] : undefined;
  if (known && message) return `${known} (${message})`;
  return known ?? message ?? "The last sync failed for an unknown reason.";
}

/** Config fields per provider (the API's catalogue lists only the credential fields). */
export const configFields: Record<string, { name: string; label: string; type: "text" | "url"; required: boolean; placeholder?: string }[]> = {
  "http-json": [
    { name: "url", label: "URL", type: "url", required: true, placeholder: "https://example.com/metrics.json" },
    { name: "valuePath", label: "JSON path to the value", type: "text", required: true, placeholder: "$.data.value" },
  ],
  csv: [
    { name: "timestampColumn", label: "Timestamp column", type: "text", required: false, placeholder: "timestamp" },
    { name: "valueColumn", label: "Value column", type: "text", required: false, placeholder: "value" },
  ],
  github: [
    { name: "owner", label: "Owner (user or organisation)", type: "text", required: true },
    { name: "repo", label: "Repository", type: "text", required: true },
  ],
  stripe: [{ name: "currency", label: "Currency (ISO code)", type: "text", required: false, placeholder: "usd" }],
};

export function formatInterval(seconds: number): string {
  if (seconds % 86_400 === 0) return `every ${seconds / 86_400 === 1 ? "day" : `${seconds / 86_400} days`}`;
  if (seconds % 3600 === 0) return `every ${seconds / 3600 === 1 ? "hour" : `${seconds / 3600} hours`}`;
  return `every ${Math.round(seconds / 60)} minutes`;
}
