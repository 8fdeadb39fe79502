// Why a sign-in failed, as a code the host can turn into a page or redirect, and a message a
// person can act on. Provider and database texts stay in `cause`.

export type SignInErrorCode =
  | "unknown_provider"
  | "invalid_state"
  | "provider_error"
  | "no_verified_email"
  | "email_taken"
  | "disabled";

export class SignInError extends Error {
  readonly code: SignInErrorCode;
  override readonly name = "SignInError";
  constructor(code: SignInErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
