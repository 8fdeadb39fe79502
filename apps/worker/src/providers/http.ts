import { urlOrigin } from "@northstar/core/providers";
import { SyncError } from "../sync/errors.ts";
import { AddressRefusedError, type Network, type NetworkResponse } from "./network.ts";

// The one way connectors talk to providers: a bounded fetch that turns HTTP into SyncErrors
// (401/403 auth, 429 and 5xx with Retry-After, malformed or oversized bodies) and never puts a URL
// or a response body into an error message.

export interface HttpOptions {
  /** Where requests may go (see network.ts). */
  network: Network;
  /** Aborts the request: the job's signal (shutdown, expiry) combined with the run's deadline. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Largest body read, in bytes. */
  maxBytes?: number;
}

export interface HttpRequest {
  url: string;
  headers?: Record<string, string>;
  /**
   * The origin (scheme://host:port) the headers' credentials were sealed for: a URL elsewhere is
   * refused before anything is sent. Default: the URL's own origin.
   */
  credentialsOrigin?: string;
}

export type ResponseHeaders = NetworkResponse["headers"];

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

const defaultMaxBytes = 32 * 1024 * 1024;

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The body's chunks, refused once they pass maxBytes (declared or counted); the rest is dropped when the reader stops early. */
async function* boundedChunks(response: NetworkResponse, maxBytes: number): AsyncGenerator<Uint8Array> {
  const tooLarge = () =>
    new SyncError("provider_bad_response", `The provider's response is larger than ${maxBytes} bytes.`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.cancel();
    throw tooLarge();
  }
  let total = 0;
  let done = false;
  try {
    for (let chunk = await response.read(); chunk !== null; chunk = await response.read()) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge();
      yield chunk;
    }
    done = true;
  } finally {
    if (!done) await response.cancel();
  }
}

/** Maps a non-2xx status to a SyncError (providers refine 403 and 404 themselves where it matters). */
export function statusError(status: number, headers: ResponseHeaders, provider: string): SyncError {
  const retryAfter = parseRetryAfter(headers.get("retry-after"));
  if (status === 401 || status === 403)
    return new SyncError(
      "provider_auth",
      `${provider} refused the credentials (HTTP ${status}); update them and re-enable the integration.`,
    );
  if (status === 429)
    return new SyncError("provider_rate_limited", `${provider} is rate limiting requests (HTTP 429).`, retryAfter);
  if (status === 404)
    return new SyncError("provider_not_found", `${provider} answered HTTP 404: check the integration's settings.`);
  if (status >= 500)
    return new SyncError("provider_unavailable", `${provider} is unavailable (HTTP ${status}).`, retryAfter);
  return new SyncError("provider_bad_response", `${provider} answered HTTP ${status}.`);
}

const maxRedirects = 5;
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** A 2xx-or-not answer whose body is read as it arrives (bounded, errors as SyncErrors). */
export interface HttpStreamResponse {
  status: number;
  headers: ResponseHeaders;
  body: AsyncGenerator<Uint8Array>;
}

/**
 * GET, returning the status, headers and body of any answer; network failures and timeouts become
 * SyncErrors. The headers (they may carry credentials) go to the credentials' origin only: a
 * request for another URL is refused unsent, and a redirect elsewhere goes without them (fetch
 * itself strips only Authorization). Redirects are followed here, at most 5, each hop through the
 * network's address check.
 */
export async function httpGet(request: HttpRequest, options: HttpOptions, provider: string): Promise<HttpResponse> {
  const response = await httpGetStream(request, options, provider);
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return { status: response.status, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") };
}

/**
 * httpGet with the body left unread: a reader (the CSV connector's) takes it chunk by chunk, so
 * memory holds a chunk, not the file. The size bound and the error mapping are httpGet's; a reader
 * that stops early drops the rest of the body.
 */
export async function httpGetStream(
  request: HttpRequest,
  options: HttpOptions,
  provider: string,
): Promise<HttpStreamResponse> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  const origin = request.credentialsOrigin ?? urlOrigin(request.url);
  if (origin === null || urlOrigin(request.url) !== origin) {
    throw new SyncError(
      "credentials_unreadable",
      `${provider}'s address is not the one its credentials were entered for; enter them again.`,
    );
  }
  let url = request.url;
  let response: NetworkResponse;
  for (let hop = 0; ; hop++) {
    try {
      response = await options.network.get(url, {
        headers: urlOrigin(url) === origin ? (request.headers ?? {}) : {},
        signal,
      });
    } catch (error) {
      throw requestError(error, options.signal, provider);
    }
    const location = redirectStatuses.has(response.status) ? response.headers.get("location") : null;
    if (location === null) break;
    await response.cancel();
    const next = URL.parse(location, url);
    if (!next || (next.protocol !== "http:" && next.protocol !== "https:")) {
      throw new SyncError("provider_bad_response", `${provider} redirected to an address that is not http(s).`);
    }
    if (hop + 1 >= maxRedirects)
      throw new SyncError("provider_bad_response", `${provider} redirected more than ${maxRedirects} times.`);
    url = next.toString();
  }
  return {
    status: response.status,
    headers: response.headers,
    body: mappedErrors(boundedChunks(response, options.maxBytes ?? defaultMaxBytes), options.signal, provider),
  };
}

/** The chunks, with a failure while reading them turned into a SyncError like the request's own. */
async function* mappedErrors(
  chunks: AsyncGenerator<Uint8Array>,
  jobSignal: AbortSignal,
  provider: string,
): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    throw requestError(error, jobSignal, provider);
  }
}

function requestError(error: unknown, jobSignal: AbortSignal, provider: string): Error {
  if (error instanceof SyncError) return error;
  const refused =
    error instanceof AddressRefusedError
      ? error
      : error instanceof Error && error.cause instanceof AddressRefusedError
        ? error.cause
        : null;
  if (refused) {
    return new SyncError(
      "config_invalid",
      "The integration's address is on a private or local network, " +
        "which Northstar does not fetch from; use a public URL.",
      null,
      {
        cause: refused,
      },
    );
  }
  // The job's own signal (shutdown or expiry) propagates as an abort, not as the provider's fault.
  if (jobSignal.aborted)
    return jobSignal.reason instanceof Error ? jobSignal.reason : new DOMException("aborted", "AbortError");
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new SyncError("timeout", `${provider} did not answer in time.`, null, { cause: error });
  }
  return new SyncError("provider_unavailable", `${provider} could not be reached.`, null, { cause: error });
}

/** GET expecting 2xx JSON. */
export async function getJson(
  request: HttpRequest,
  options: HttpOptions,
  provider: string,
): Promise<{ body: unknown; headers: ResponseHeaders }> {
  const response = await httpGet(request, options, provider);
  if (response.status < 200 || response.status >= 300) throw statusError(response.status, response.headers, provider);
  return { body: parseJson(response.text, provider), headers: response.headers };
}

export function parseJson(text: string, provider: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SyncError("provider_bad_response", `${provider} sent a body that is not valid JSON.`, null, {
      cause: error,
    });
  }
}
