import { sessionCookieNameFor } from "@northstar/api";
import { type AdminPool, createUser, type RunningHost } from "./support.ts";

// Calls to a running host as a signed-in person would make them, for the edge tests: sign in
// through the development form, then tRPC over plain fetch (batches included).

/** A new user signed in through /auth/dev; `cookie` is name=value as the browser sends it. */
export async function signedIn(
  host: RunningHost,
  admin: AdminPool,
  /** For a host whose public URL is not its own: that URL's origin, and whether it is https. */
  options: { origin?: string; secure?: boolean } = {},
): Promise<{ id: string; cookie: string }> {
  const user = await createUser(admin, "Edge");
  const response = await fetch(`${host.url}/auth/dev`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: options.origin ?? host.url },
    body: new URLSearchParams({ userId: user.id }),
  });
  const name = sessionCookieNameFor(options.secure ?? false);
  const cookie = response.headers
    .getSetCookie()
    .filter((header) => header.startsWith(`${name}=`))
    .at(-1)
    ?.split(";")[0];
  if (response.status !== 303 || !cookie) throw new Error(`development sign-in failed: ${response.status}`);
  return { id: user.id, cookie };
}

export interface CallAnswer {
  status: number;
  retryAfter: string | null;
  /** Each call's error code (null for a result), in batch order. */
  codes: (string | null)[];
  messages: (string | null)[];
}

interface Envelope {
  result?: unknown;
  error?: { json: { message: string; data: { code: string } } };
}

async function answerOf(response: Response): Promise<CallAnswer> {
  const body = (await response.json()) as Envelope | Envelope[];
  const envelopes = Array.isArray(body) ? body : [body];
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    codes: envelopes.map((envelope) => envelope.error?.json.data.code ?? null),
    messages: envelopes.map((envelope) => envelope.error?.json.message ?? null),
  };
}

/** A query over GET; several paths make one batch. */
export async function query(host: RunningHost, cookie: string, paths: string[], inputs: unknown[] = []) {
  const input: Record<string, { json: unknown }> = {};
  for (const [index, value] of inputs.entries()) input[String(index)] = { json: value };
  const url = `${host.url}/trpc/${paths.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
  return answerOf(await fetch(url, { headers: { cookie } }));
}

/** A mutation over POST as our own client sends it (JSON, same origin); several paths make one batch. */
export async function mutate(
  host: RunningHost,
  cookie: string,
  paths: string[],
  inputs: unknown[] = [],
  headers: Record<string, string> = {},
) {
  const input: Record<string, { json: unknown }> = {};
  for (const [index, value] of inputs.entries()) input[String(index)] = { json: value };
  const response = await fetch(`${host.url}/trpc/${paths.join(",")}?batch=1`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", origin: host.url, ...headers },
    body: JSON.stringify(input),
  });
  return answerOf(response);
}
