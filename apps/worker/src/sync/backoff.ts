// When to try again after a failure: exponential in the number of consecutive failures, with
// "equal jitter" (half fixed, half random) so that integrations failing together do not retry
// together, and never sooner than the provider asked (Retry-After, a rate limit's reset).

export interface BackoffSettings {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

/** The provider's wish is honoured up to a week; beyond that it reads as a broken header. */
const longestRetryAfterSeconds = 7 * 86_400;

export function retryDelaySeconds(
  consecutiveFailures: number,
  settings: BackoffSettings,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(consecutiveFailures, 1) - 1, 30);
  const ceiling = Math.min(settings.retryMaxSeconds, settings.retryBaseSeconds * 2 ** exponent);
  const jittered = ceiling / 2 + (random() * ceiling) / 2;
  const providerSays = retryAfterMs === null ? 0 : Math.min(Math.ceil(retryAfterMs / 1000), longestRetryAfterSeconds);
  return Math.max(1, Math.ceil(Math.max(jittered, providerSays)));
}
