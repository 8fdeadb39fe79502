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
export { isSecureContext, parseCookies, serializeCookie, type SetCookie } from "./cookies.ts";
export { SignInError, type SignInErrorCode } from "./errors.ts";
export {
  type Auth,
  type CallbackParams,
  createAuth,
  type SignedInUser,
  type SignInResult,
  stateCookieName,
} from "./sign-in.ts";
export { clearedSessionCookie, sessionCookieName, sessionTtlMs } from "./session.ts";
