// Integration credentials sealed with AES-256-GCM under a keyring from the environment: the first
// key seals, every key opens, so keys can rotate (re-seal rows whose key id is not the current one).
// The additional authenticated data names the row, so a ciphertext copied to another row fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

const ivLength = 12;
const tagLength = 16;
const keyLength = 32;

export interface CredentialKey {
  id: string;
  key: Uint8Array;
}

/** The current key first; older keys only open. */
export interface Keyring {
  current: CredentialKey;
  keys: ReadonlyMap<string, Uint8Array>;
}

export interface SealedCredentials {
  /** iv (12 bytes) || auth tag (16 bytes) || ciphertext */
  ciphertext: Uint8Array<ArrayBuffer>;
  keyId: string;
}

export type CredentialsErrorKind = "unknown_key" | "tampered";

export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
  constructor(
    readonly kind: CredentialsErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const keyIdSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,64}$/, { error: "Each key id must be 1-64 characters of a-z, 0-9, _ or -" });
const keyEntrySchema = z.string().transform((entry, context) => {
  const separator = entry.indexOf(":");
  if (separator < 0) {
    context.addIssue({ code: "custom", message: "Each key must be written keyId:base64key" });
    return z.NEVER;
  }
  const id = entry.slice(0, separator).trim();
  const encoded = entry.slice(separator + 1).trim();
  const parsedId = keyIdSchema.safeParse(id);
  if (!parsedId.success) {
    context.addIssue({
      code: "custom",
      message: `Key id "${id}": each key id must be 1-64 characters of a-z, 0-9, _ or -`,
    });
    return z.NEVER;
  }
  const key = Buffer.from(encoded, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== keyLength) {
    context.addIssue({
      code: "custom",
      message: `Key "${id}" must be 32 bytes, base64-encoded (e.g. openssl rand -base64 32)`,
    });
    return z.NEVER;
  }
  return { id, key: new Uint8Array(key) };
});

const keyringSchema = z
  .string({ error: "The credentials keyring is missing (keyId:base64key, comma-separated, current first)" })
  .trim()
  .min(1, { error: "The credentials keyring is empty (keyId:base64key, comma-separated, current first)" })
  .transform((value) =>
    value
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ""),
  )
  .pipe(z.array(keyEntrySchema).min(1, { error: "The credentials keyring needs at least one key" }))
  .refine((entries) => new Set(entries.map((entry) => entry.id)).size === entries.length, {
    error: "Key ids in the credentials keyring must be unique",
  });

/** Parses `keyId1:base64key32,keyId2:base64key32` (the first is current); throws with what to fix. */
export function parseKeyring(value: string | undefined): Keyring {
  const parsed = keyringSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`Invalid credentials keyring: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  const [current] = parsed.data;
  if (!current) throw new Error("Invalid credentials keyring: it needs at least one key");
  return { current, keys: new Map(parsed.data.map((entry) => [entry.id, entry.key])) };
}

/** What a ciphertext is bound to: the integration's row. */
export function credentialsBinding(workspaceId: string, integrationId: string): string {
  return `${workspaceId}:${integrationId}`;
}

export function seal(keyring: Keyring, json: unknown, binding: string): SealedCredentials {
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv, { authTagLength: tagLength });
  cipher.setAAD(Buffer.from(binding, "utf8"));
  const data = Buffer.concat([cipher.update(JSON.stringify(json), "utf8"), cipher.final()]);
  return { ciphertext: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), data])), keyId: keyring.current.id };
}

export function open(keyring: Keyring, sealed: { ciphertext: Uint8Array; keyId: string }, binding: string): unknown {
  const key = keyring.keys.get(sealed.keyId);
  if (!key) throw new CredentialsError("unknown_key", `No key "${sealed.keyId}" in the credentials keyring.`);
  const bytes = Buffer.from(sealed.ciphertext);
  if (bytes.length < ivLength + tagLength)
    throw new CredentialsError("tampered", "The sealed credentials are too short.");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, ivLength), { authTagLength: tagLength });
    decipher.setAAD(Buffer.from(binding, "utf8"));
    decipher.setAuthTag(bytes.subarray(ivLength, ivLength + tagLength));
    const plain = Buffer.concat([decipher.update(bytes.subarray(ivLength + tagLength)), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as unknown;
  } catch (error) {
    throw new CredentialsError(
      "tampered",
      "The sealed credentials do not open: tampered, or sealed for another integration.",
      { cause: error },
    );
  }
}

/** Whether a row sealed under `keyId` should be re-sealed under the current key. */
export function needsReseal(keyring: Keyring, keyId: string): boolean {
  return keyId !== keyring.current.id;
}
