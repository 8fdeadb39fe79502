import { createHmac, timingSafeEqual } from "node:crypto";
import { type Database, DatabaseError, Prisma, queryRows, type ScopedDb, sql } from "@northstar/db";
import { CodeChallengeMethod, generateCodeVerifier, generateState, OAuth2Client } from "arctic";
import { z } from "zod";
import {
  type AuthConfig,
  callbackUrl,
  type OAuthProviderConfig,
  type ProviderName,
  providerNameSchema,
} from "./config.ts";
import { cookieNameFor, isSecureContext, serializeCookie, type SetCookie } from "./cookies.ts";
import { SignInError } from "./errors.ts";
import { fetchProfile } from "./profile.ts";
import { createSession, sessionCookie } from "./session.ts";

// The sign-in flow as framework-free functions the host mounts:
//   GET /auth/:provider/start    -> beginSignIn: redirect to `url`, set `stateCookie`
//   GET /auth/:provider/callback -> completeSignIn: set `sessionCookie`, clear the state cookie
// OAuth 2 authorization code flow with state and PKCE (S256) through Arctic. The state and the
// PKCE verifier travel in a short-lived, HMAC-signed, HttpOnly cookie; the provider's one-time
// code and the verifier are what stop a replay.

/** The sign-in state cookie's name on plain-http localhost (see stateCookieNameFor). */
export const stateCookieName = "northstar_oauth";

/**
 * `__Host-northstar_oauth` (Path=/) wherever cookies are Secure: a sibling host cannot plant its
 * own signed state and so sign the person in as someone else. On plain-http localhost the bare
 * name, kept to /auth.
 */
export function stateCookieNameFor(secure: boolean): string {
  return cookieNameFor(stateCookieName, secure);
}
const stateTtlMs = 10 * 60 * 1000;

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  image: string | null;
}

export interface SignInResult {
  sessionToken: string;
  expiresAt: Date;
  sessionCookie: SetCookie;
  /** Deletes the sign-in state cookie. */
  clearStateCookie: SetCookie;
  user: SignedInUser;
}

export interface CallbackParams {
  code: string | null | undefined;
  state: string | null | undefined;
  /** The value of the state cookie (stateCookieNameFor) sent with the callback; null when there were two. */
  stateCookie: string | null | undefined;
  userAgent?: string | null;
}

const statePayload = z.object({ p: providerNameSchema, s: z.string().min(1), v: z.string().min(43), e: z.number() });

const userSelect = { id: true, email: true, name: true, image: true } satisfies Prisma.UserSelect;

export interface Auth {
  beginSignIn(provider: string): { url: string; stateCookie: SetCookie };
  completeSignIn(provider: string, params: CallbackParams): Promise<SignInResult>;
  /** Signs in as an existing user by id; only when config.developmentSignIn is true. */
  developmentSignIn(userId: string, userAgent?: string | null): Promise<SignInResult>;
}

export function createAuth(options: { database: Database; config: AuthConfig; clock?: () => Date }): Auth {
  const { database, config } = options;
  const clock = options.clock ?? (() => new Date());
  const secure = isSecureContext(config.baseUrl);
  const stateCookie = { name: stateCookieNameFor(secure), path: secure ? "/" : "/auth" };
  const fetcher = config.fetch ?? fetch;
  if (config.secret.length < 32) throw new TypeError("the auth secret must be at least 32 characters");

  const mac = (payload: string) => createHmac("sha256", config.secret).update(payload).digest("base64url");

  function providerOf(name: string): { name: ProviderName; settings: OAuthProviderConfig } {
    const parsed = providerNameSchema.safeParse(name);
    const settings = parsed.success ? config.providers[parsed.data] : undefined;
    if (!parsed.success || !settings)
      throw new SignInError("unknown_provider", "This sign-in provider is not available.");
    return { name: parsed.data, settings };
  }

  function clientFor(name: ProviderName, settings: OAuthProviderConfig): OAuth2Client {
    return new OAuth2Client(settings.clientId, settings.clientSecret, callbackUrl(config, name));
  }

  function clearStateCookie(): SetCookie {
    return serializeCookie(stateCookie.name, "", { secure, maxAgeSeconds: 0, path: stateCookie.path });
  }

  function readStateCookie(value: string | null | undefined, provider: ProviderName): z.infer<typeof statePayload> {
    const invalid = new SignInError(
      "invalid_state",
      "The sign-in link expired or was tampered with; start signing in again.",
    );
    const [body, signature] = (value ?? "").split(".");
    if (!body || !signature) throw invalid;
    const expected = Buffer.from(mac(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      throw invalid;
    }
    const payload = statePayload.safeParse(decoded);
    if (!payload.success || payload.data.p !== provider || payload.data.e < clock().getTime()) throw invalid;
    return payload.data;
  }

  async function startSession(userId: string, userAgent: string | null): Promise<SignInResult> {
    const now = clock();
    // Signing in joins nothing: invitations wait for the user's own answer (me.invitations).
    const { user, session } = await database.withContext({ userId, workspaceId: null }, async (db: ScopedDb) => {
      const found = await db.user.findUnique({ where: { id: userId }, select: userSelect });
      if (!found) throw new SignInError("invalid_state", "This account no longer exists.");
      return { user: found, session: await createSession(db, userId, now, userAgent) };
    });
    return {
      sessionToken: session.token,
      expiresAt: session.expiresAt,
      sessionCookie: sessionCookie(session.token, session.expiresAt, now, secure),
      clearStateCookie: clearStateCookie(),
      user,
    };
  }

  return {
    beginSignIn(providerName) {
      const { name, settings } = providerOf(providerName);
      const state = generateState();
      const codeVerifier = generateCodeVerifier();
      const url = clientFor(name, settings).createAuthorizationURLWithPKCE(
        settings.authorizationEndpoint,
        state,
        CodeChallengeMethod.S256,
        codeVerifier,
        settings.scopes,
      );
      const body = Buffer.from(
        JSON.stringify({ p: name, s: state, v: codeVerifier, e: clock().getTime() + stateTtlMs }),
      ).toString("base64url");
      const signed = serializeCookie(stateCookie.name, `${body}.${mac(body)}`, {
        secure,
        maxAgeSeconds: stateTtlMs / 1000,
        path: stateCookie.path,
      });
      return { url: url.toString(), stateCookie: signed };
    },

    async completeSignIn(providerName, params) {
      const { name, settings } = providerOf(providerName);
      const saved = readStateCookie(params.stateCookie, name);
      const state = Buffer.from(params.state ?? "");
      const expected = Buffer.from(saved.s);
      if (state.length !== expected.length || !timingSafeEqual(state, expected) || !params.code) {
        throw new SignInError(
          "invalid_state",
          "The sign-in link expired or was tampered with; start signing in again.",
        );
      }
      // Outside any transaction: provider round trips are slow.
      let accessToken: string;
      try {
        const tokens = await clientFor(name, settings).validateAuthorizationCode(
          settings.tokenEndpoint,
          params.code,
          saved.v,
        );
        accessToken = tokens.accessToken();
      } catch (error) {
        throw new SignInError(
          "provider_error",
          "The provider did not accept this sign-in (it may have been used already); start signing in again.",
          { cause: error },
        );
      }
      let profile;
      try {
        profile = await fetchProfile(settings, accessToken, fetcher);
      } catch (error) {
        if (error instanceof SignInError) throw error;
        throw new SignInError("provider_error", "The provider's profile could not be read; try again.", {
          cause: error,
        });
      }
      // Creates the user, or refreshes their email, name and picture from the provider: invitations
      // match the email the provider verifies today. An email another account holds is refused.
      let userId: string | undefined;
      try {
        const signIn = sql<{ id: string }>`
          SELECT app.sign_in_user(${name}, ${profile.providerAccountId}, ${profile.email}, ${profile.name},
                                  ${profile.image})::text AS id`;
        const rows = await database.withContext({ userId: null, workspaceId: null }, (db) => queryRows(db, signIn));
        userId = rows[0]?.id;
      } catch (error) {
        if (error instanceof DatabaseError && error.kind === "unique_violation") {
          throw new SignInError(
            "email_taken",
            "This email already belongs to an account that signs in another way; use that sign-in.",
            { cause: error },
          );
        }
        throw error;
      }
      if (!userId) throw new SignInError("provider_error", "The account could not be created; try again.");
      return startSession(userId, params.userAgent ?? null);
    },

    async developmentSignIn(userId, userAgent) {
      if (config.developmentSignIn !== true) throw new SignInError("disabled", "Development sign-in is turned off.");
      if (!z.uuid().safeParse(userId).success) throw new SignInError("invalid_state", "Choose a user by id.");
      return startSession(userId, userAgent ?? null);
    },
  };
}
