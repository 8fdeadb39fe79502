import { type CatalogueProvider, providerCatalogue } from "@northstar/core/providers";
import { Badge } from "./Feedback.tsx";

// How an integration reads: its provider's catalogue entry, a badge per sync status, errors in
// plain words.

// The catalogue is plain data from @northstar/core: it needs no request.
export const catalogue = providerCatalogue();

/** The catalogue entry of the provider an integration names by id. */
export function catalogueEntry(providerId: string): CatalogueProvider | undefined {
  return catalogue.find((provider) => provider.id === providerId);
}

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

// What the worker's error codes mean for the person reading them: what happens next, or what
// to do. The worker's own message (fixed text, secrets scrubbed) follows in brackets.
const plainErrors: Record<string, string> = {
  provider_auth:
    "The provider refused the credentials, so syncing is paused: enter new credentials, then enable the integration.",
  auth_failed:
    "The provider refused the credentials, so syncing is paused: enter new credentials, then enable the integration.",
  credentials_unreadable: "The stored credentials cannot be used: enter them again, then enable the integration.",
  config_invalid: "The settings are incomplete or wrong, so syncing is paused: fix them, then enable the integration.",
  provider_rate_limited: "The provider asked Northstar to slow down. It will try again on its own.",
  provider_unavailable: "The provider did not answer properly. Northstar will try again on its own.",
  upstream_unavailable: "The provider did not answer properly. Northstar will try again on its own.",
  provider_bad_response: "The provider's answer could not be read. Check the URL and the settings.",
  provider_not_found: "The provider says the address or resource does not exist. Check the settings.",
  timeout: "The sync took too long and was stopped. It will be tried again.",
  write_failed: "The values could not be stored. It will be tried again.",
  internal: "Something went wrong on our side. It will be tried again.",
};

export function plainError(code: string | null, message: string | null): string {
  const known = code ? plainErrors[code] : undefined;
  if (known && message) return `${known} (${message})`;
  return known ?? message ?? "The last sync failed for an unknown reason.";
}

/** The sync intervals a form offers (the API takes any from 5 minutes to 30 days). */
export const syncIntervals = [
  { seconds: 900, label: "Every 15 minutes" },
  { seconds: 3600, label: "Every hour" },
  { seconds: 6 * 3600, label: "Every 6 hours" },
  { seconds: 86_400, label: "Every day" },
];

export function formatInterval(seconds: number): string {
  if (seconds % 86_400 === 0) return `every ${seconds / 86_400 === 1 ? "day" : `${seconds / 86_400} days`}`;
  if (seconds % 3600 === 0) return `every ${seconds / 3600 === 1 ? "hour" : `${seconds / 3600} hours`}`;
  return `every ${Math.round(seconds / 60)} minutes`;
}
