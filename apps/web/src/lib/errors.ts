import { isApiError } from "../trpc.ts";

// What a person reads when a call fails: the API's own message (it is written for them), or a
// plain sentence when the network, not the API, failed.

/** The HTTP status of a failed call's response, when the server answered at all. */
function statusOf(error: unknown): number | null {
  if (!isApiError(error)) return null;
  const response = error.meta?.response;
  return response instanceof Response ? response.status : null;
}

/** The Retry-After of a refused call's response, in seconds. */
function retryAfterOf(error: unknown): number | null {
  if (!isApiError(error)) return null;
  const response = error.meta?.response;
  const seconds = response instanceof Response ? Number(response.headers.get("retry-after")) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

export function errorMessage(error: unknown): string {
  if (isApiError(error)) {
    if (error.data?.code === "INTERNAL_SERVER_ERROR") return "Something went wrong on our side; try again.";
    // The API's own refusal names the wait; a proxy's bare 429 does not, but its Retry-After may.
    if (error.data?.code !== "TOO_MANY_REQUESTS" && statusOf(error) === 429) {
      const wait = retryAfterOf(error);
      return wait === null
        ? "Too many requests in a short time; wait a moment and try again."
        : `Too many requests in a short time; try again in ${wait} seconds.`;
    }
    if (error.message.startsWith("Failed to fetch") || error.message.includes("NetworkError"))
      return "Northstar cannot be reached; check your connection and try again.";
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong; try again.";
}

export function errorCode(error: unknown): string | null {
  return isApiError(error) ? (error.data?.code ?? null) : null;
}

/** The per-field messages of a validation error, first message per field. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!isApiError(error)) return {};
  const fields: Record<string, unknown> = error.data?.zodError?.fieldErrors ?? {};
  const out: Record<string, string> = {};
  for (const [name, messages] of Object.entries(fields)) {
    const first: unknown = Array.isArray(messages) ? messages[0] : undefined;
    if (typeof first === "string") out[name] = first;
  }
  return out;
}

/** A failed call's message for the form as a whole: none while the form's fields show what is wrong. */
export function formError(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  return Object.keys(fieldErrors(error)).length === 0 ? errorMessage(error) : null;
}

/** The bad lines of a rejected import. */
export function lineErrors(error: unknown): { line: number; message: string }[] {
  if (!isApiError(error)) return [];
  return error.data?.lineErrors ?? [];
}
