// Set-Cookie headers for the host to send, and the Cookie header parsed back. Framework-free:
// the host copies `header` into its response.

export interface SetCookie {
  name: string;
  value: string;
  /** The complete Set-Cookie header value. */
  header: string;
}

export interface CookieOptions {
  /** Secure everywhere but plain-http localhost (see isSecureContext). */
  secure: boolean;
  /** Seconds until the browser drops it; 0 deletes it; undefined makes a browser-session cookie. */
  maxAgeSeconds?: number;
  path?: string;
}

const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const cookieValue = /^[!#$%&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]*$/;

const hostPrefix = "__Host-";

/**
 * The name a cookie goes by: `__Host-` + `name` wherever it is Secure. Browsers keep such a cookie
 * host-only with Path=/ and refuse it from plain http or with a Domain, so a sibling subdomain
 * cannot set or shadow it. Plain-http localhost keeps the bare name (the prefix needs Secure).
 */
export function cookieNameFor(name: string, secure: boolean): string {
  return secure ? `${hostPrefix}${name}` : name;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): SetCookie {
  if (!cookieName.test(name)) throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  if (!cookieValue.test(value)) throw new TypeError("cookie value has characters a cookie cannot carry");
  // A browser drops a __Host- cookie that breaks these rules, so the sign-in would silently fail.
  if (name.startsWith(hostPrefix) && (!options.secure || (options.path ?? "/") !== "/"))
    throw new TypeError(`a ${hostPrefix} cookie must be Secure with Path=/`);
  const parts = [`${name}=${value}`, `Path=${options.path ?? "/"}`, "HttpOnly", "SameSite=Lax"];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.secure) parts.push("Secure");
  return { name, value, header: parts.join("; ") };
}

/** The cookies of a Cookie request header (first occurrence of a name wins). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, pair.slice(at + 1).trim());
  }
  return cookies;
}

/** Every value the Cookie header carries for `name`, in order (a browser may send a name twice). */
export function cookieValues(header: string | null | undefined, name: string): string[] {
  const values: string[] = [];
  for (const pair of (header ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === name) values.push(pair.slice(at + 1).trim());
  }
  return values;
}

/** Browsers refuse Secure cookies over plain http except on localhost; everything else is https. */
export function isSecureContext(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  return url.protocol === "https:" || !local;
}
