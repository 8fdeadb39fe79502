export {
  type AuthConfig,
  callbackUrl,
  githubEndpoints,
  googleEndpoints,
  type OAuthProviderConfig,
  oauthProvider,
  type ProviderName,
  providerNames,
} from "./config.ts";
export { parseAuthEnv } from "./env.ts";
export { cookieValues, isSecureContext, parseCookies, serializeCookie, type SetCookie } from "./cookies.ts";
export { SignInError, type SignInErrorCode } from "./errors.ts";
export {
  type Auth,
  type CallbackParams,
  createAuth,
  type SignedInUser,
  type SignInResult,
  stateCookieName,
  stateCookieNameFor,
} from "./sign-in.ts";
export {
  clearedSessionCookie,
  type SessionCookie,
  sessionCookieFrom,
  sessionCookieName,
  sessionCookieNameFor,
  sessionTtlMs,
} from "./session.ts";
