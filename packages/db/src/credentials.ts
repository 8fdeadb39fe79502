// Integration credentials in a sealed box: X25519 with a fresh ephemeral key per seal, HKDF-SHA256,
// AES-256-GCM. The web host holds public keys only, so it seals and cannot open, not even what it
// sealed itself; only the worker holds private keys (the first is current, older ones only open, so
// keys rotate: the worker re-seals rows whose key id is not current). The additional data binds
// the row, its provider and, for a provider whose target URL an admin can edit, that URL's origin:
// moved to another row, or pointed at another origin, a ciphertext does not open.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { credentialsOrigin, providerEntries, type ProviderId, providerIds } from "@northstar/core/providers";
import { z } from "zod";

const boxVersion = 1;
/** Names the scheme in the key derivation and the additional data: another version derives other keys. */
const boxLabel = `northstar/credentials/x25519-hkdf-sha256-aes-256-gcm/v${boxVersion}`;
const rawKeyLength = 32;
const ivLength = 12;
const tagLength = 16;
const aesKeyLength = 32;
/** version (1) || ephemeral public key (32) || iv (12) || auth tag (16), then the ciphertext. */
const boxHeaderLength = 1 + rawKeyLength + ivLength + tagLength;
// X25519 keys in DER: a fixed prefix, then the 32 raw bytes.
const spkiPrefix = Buffer.from("302a300506032b656e032100", "hex");

/** The host's keys: it seals to the current public key and has nothing that opens. */
export interface PublicKeyring {
  readonly current: { readonly id: string; readonly publicKey: KeyObject };
}

/**
 * The worker's keys: it opens with any private key (the current one first; older ones stay until
 * re-sealing has moved every row) and re-seals to the current public key. `legacyKeys` are the
 * symmetric keys of before the sealed box (AES-256-GCM, bound to the row only): they only open.
 */
export interface Keyring extends PublicKeyring {
  readonly privateKeys: ReadonlyMap<string, KeyObject>;
  readonly legacyKeys: ReadonlyMap<string, Uint8Array>;
}

export interface SealedCredentials {
  ciphertext: Uint8Array<ArrayBuffer>;
  keyId: string;
}

/** What a ciphertext is bound to. */
export interface CredentialsBinding {
  workspaceId: string;
  integrationId: string;
  provider: string;
  /**
   * The only origin (scheme://host:port) the credentials may be sent to, when an admin can change
   * the provider's target (see credentialsOrigin in @northstar/core/providers); null when the
   * operator fixes the target, or the target is itself sealed.
   */
  origin: string | null;
}

function isProviderId(value: string): value is ProviderId {
  return providerIds.some((id) => id === value);
}

/**
 * The binding of an integration's row: its ids, its provider and, for a provider whose target URL
 * is in its config, that URL's origin (from the config as it is now: the API when it seals, the
 * worker when it opens, so credentials pointed elsewhere since do not open).
 */
export function credentialsBinding(
  workspaceId: string,
  integrationId: string,
  provider: string,
  config: Readonly<Record<string, unknown>>,
): CredentialsBinding {
  const origin = isProviderId(provider) ? credentialsOrigin(providerEntries[provider], config) : null;
  return { workspaceId, integrationId, provider, origin };
}

export type CredentialsErrorKind = "unknown_key" | "tampered";

export class CredentialsError extends Error {
  readonly kind: CredentialsErrorKind;
  override readonly name = "CredentialsError";
  constructor(kind: CredentialsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

// ---- Keys from the environment: `keyId:base64,...`, the first current.

const keyIdPattern = /^[a-z0-9_-]{1,64}$/;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

type Decoded<T> = { key: T } | { problem: string };

/** One `keyId:base64` entry decoded by `decode`, or what is wrong with it. */
function keyEntry<T>(
  text: string,
  what: string,
  decode: (bytes: Buffer, id: string) => Decoded<T>,
): { id: string; key: T } | { problem: string } {
  const separator = text.indexOf(":");
  if (separator < 0) return { problem: `Each ${what} must be written keyId:base64key` };
  const id = text.slice(0, separator).trim();
  const encoded = text.slice(separator + 1).trim();
  if (!keyIdPattern.test(id))
    return { problem: `Key id "${id}": each key id must be 1-64 characters of a-z, 0-9, _ or -` };
  if (!base64Pattern.test(encoded)) return { problem: `Key "${id}" is not base64` };
  const decoded = decode(Buffer.from(encoded, "base64"), id);
  return "problem" in decoded ? decoded : { id, key: decoded.key };
}

/** A comma-separated list of `keyId:base64`, each decoded by `decode`; ids unique; at least one. */
function keyListSchema<T>(what: string, decode: (bytes: Buffer, id: string) => Decoded<T>) {
  const usage = "keyId:base64key, comma-separated, current first";
  return z
    .string({ error: `The ${what} list is missing (${usage})` })
    .trim()
    .min(1, { error: `The ${what} list is empty (${usage})` })
    .transform((value, context) => {
      const entries: { id: string; key: T }[] = [];
      for (const part of value.split(",")) {
        if (part.trim() === "") continue;
        const entry = keyEntry(part.trim(), what, decode);
        if ("problem" in entry) context.addIssue({ code: "custom", message: entry.problem });
        else entries.push(entry);
      }
      if (new Set(entries.map((entry) => entry.id)).size !== entries.length)
        context.addIssue({ code: "custom", message: "Key ids must be unique" });
      if (entries.length === 0 && context.issues.length === 0)
        context.addIssue({ code: "custom", message: `The ${what} list needs at least one key` });
      return entries;
    });
}

function asX25519(make: () => KeyObject): KeyObject | null {
  try {
    const key = make();
    return key.asymmetricKeyType === "x25519" ? key : null;
  } catch {
    return null;
  }
}

const publicKeyOf = (bytes: Buffer) => asX25519(() => createPublicKey({ key: bytes, format: "der", type: "spki" }));
const privateKeyOf = (bytes: Buffer) => asX25519(() => createPrivateKey({ key: bytes, format: "der", type: "pkcs8" }));

/** Public keys, as the host takes them (base64 SPKI DER; credentials:keygen prints them). */
export const publicKeysSchema = keyListSchema<KeyObject>("public key", (bytes, id) => {
  const key = publicKeyOf(bytes);
  if (key) return { key };
  if (privateKeyOf(bytes))
    return { problem: `Key "${id}" is a PRIVATE key: the host gets only the public key (credentials:keygen)` };
  return { problem: `Key "${id}" must be an X25519 public key, base64 SPKI DER as credentials:keygen prints it` };
});

/** Private keys, as the worker takes them (base64 PKCS#8 DER; credentials:keygen prints them). */
export const privateKeysSchema = keyListSchema<KeyObject>("private key", (bytes, id) => {
  const key = privateKeyOf(bytes);
  if (key) return { key };
  if (publicKeyOf(bytes))
    return { problem: `Key "${id}" is a public key: the worker needs the private key (credentials:keygen)` };
  return { problem: `Key "${id}" must be an X25519 private key, base64 PKCS#8 DER as credentials:keygen prints it` };
});

/** The symmetric keys of before the sealed box (32 bytes each): the worker still opens old rows with them. */
export const legacyKeysSchema = keyListSchema<Uint8Array>("symmetric key", (bytes, id) =>
  bytes.length === aesKeyLength
    ? { key: new Uint8Array(bytes) }
    : { problem: `Key "${id}" must be 32 bytes, base64-encoded (e.g. openssl rand -base64 32)` },
);

function parsed<T>(schema: z.ZodType<T>, value: string | undefined, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(`Invalid ${what}: ${result.error.issues.map((issue) => issue.message).join("; ")}`);
  return result.data;
}

/** The host's keyring from its public keys (the first is the one it seals to). */
export function publicKeyring(publicKeys: readonly { id: string; key: KeyObject }[]): PublicKeyring {
  const [current] = publicKeys;
  if (!current) throw new Error("Invalid credentials public keys: at least one is needed");
  return { current: { id: current.id, publicKey: current.key } };
}

/** Parses the host's `keyId:base64 SPKI` (the first current); throws with what to fix. */
export function parsePublicKeyring(value: string | undefined): PublicKeyring {
  return publicKeyring(parsed(publicKeysSchema, value, "credentials public keys"));
}

/** The worker's keyring: private keys (the first current) and, until re-sealing is done, the old symmetric keys. */
export function createKeyring(
  privateKeys: readonly { id: string; key: KeyObject }[],
  legacyKeys: readonly { id: string; key: Uint8Array }[] = [],
): Keyring {
  const [current] = privateKeys;
  if (!current) throw new Error("Invalid credentials keyring: at least one private key is needed");
  for (const { id } of legacyKeys) {
    if (privateKeys.some((key) => key.id === id))
      throw new Error(`Invalid credentials keyring: key id "${id}" names both a private key and a symmetric key`);
  }
  return {
    current: { id: current.id, publicKey: createPublicKey(current.key) },
    privateKeys: new Map(privateKeys.map((entry) => [entry.id, entry.key])),
    legacyKeys: new Map(legacyKeys.map((entry) => [entry.id, entry.key])),
  };
}

/** Parses the worker's `keyId:base64 PKCS#8` list (and the old symmetric `keyId:base64` list); throws with what to fix. */
export function parseKeyring(privateKeys: string | undefined, legacyKeys?: string): Keyring {
  return createKeyring(
    parsed(privateKeysSchema, privateKeys, "credentials private keys"),
    legacyKeys === undefined || legacyKeys.trim() === ""
      ? []
      : parsed(legacyKeysSchema, legacyKeys, "credentials symmetric keys"),
  );
}

/** A new key pair as the environment takes it: `id:base64` lines for the host (public) and the worker (private). */
export function generateKeyPair(id: string): { publicKey: string; privateKey: string } {
  if (!keyIdPattern.test(id)) throw new Error(`Key id "${id}": 1-64 characters of a-z, 0-9, _ or -`);
  const pair = generateKeyPairSync("x25519");
  return {
    publicKey: `${id}:${pair.publicKey.export({ format: "der", type: "spki" }).toString("base64")}`,
    privateKey: `${id}:${pair.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64")}`,
  };
}

// ---- The box.

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(-rawKeyLength);
}

function additionalData(keyId: string, binding: CredentialsBinding): Buffer {
  // JSON of an array of strings (and null) is unambiguous: no field can run into the next.
  return Buffer.from(
    JSON.stringify([boxLabel, keyId, binding.workspaceId, binding.integrationId, binding.provider, binding.origin]),
    "utf8",
  );
}

/** The AES key of one box: ECDH of the ephemeral and recipient keys, through HKDF over both public keys. */
function boxKey(privateKey: KeyObject, publicKey: KeyObject, ephemeral: Buffer, recipient: Buffer): Buffer {
  const shared = diffieHellman({ privateKey, publicKey });
  // A low-order public key gives an all-zero secret: never a key.
  if (shared.every((byte) => byte === 0)) throw new Error("X25519 gave an all-zero shared secret");
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([ephemeral, recipient]), boxLabel, aesKeyLength));
}

/** Seals `json` to the keyring's current public key, bound to `binding`. Needs no private key. */
export function seal(keyring: PublicKeyring, json: unknown, binding: CredentialsBinding): SealedCredentials {
  const { id, publicKey } = keyring.current;
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralRaw = rawPublicKey(ephemeral.publicKey);
  const key = boxKey(ephemeral.privateKey, publicKey, ephemeralRaw, rawPublicKey(publicKey));
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagLength });
  cipher.setAAD(additionalData(id, binding));
  const data = Buffer.concat([cipher.update(JSON.stringify(json), "utf8"), cipher.final()]);
  const header = Buffer.concat([Buffer.of(boxVersion), ephemeralRaw, iv, cipher.getAuthTag()]);
  return { ciphertext: new Uint8Array(Buffer.concat([header, data])), keyId: id };
}

function tampered(cause: unknown): CredentialsError {
  return new CredentialsError(
    "tampered",
    "The sealed credentials do not open: tampered, or sealed for another integration or another address.",
    { cause },
  );
}

function openBox(privateKey: KeyObject, keyId: string, bytes: Buffer, binding: CredentialsBinding): Buffer {
  if (bytes.length < boxHeaderLength || bytes[0] !== boxVersion)
    throw new CredentialsError("tampered", "The sealed credentials are too short or of an unknown version.");
  const ephemeral = bytes.subarray(1, 1 + rawKeyLength);
  const iv = bytes.subarray(1 + rawKeyLength, 1 + rawKeyLength + ivLength);
  const tag = bytes.subarray(1 + rawKeyLength + ivLength, boxHeaderLength);
  try {
    const ephemeralKey = createPublicKey({ key: Buffer.concat([spkiPrefix, ephemeral]), format: "der", type: "spki" });
    const key = boxKey(privateKey, ephemeralKey, ephemeral, rawPublicKey(createPublicKey(privateKey)));
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagLength });
    decipher.setAAD(additionalData(keyId, binding));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(boxHeaderLength)), decipher.final()]);
  } catch (error) {
    throw tampered(error);
  }
}

/** The scheme of before the sealed box: AES-256-GCM under a shared key, iv || tag || data, bound to the row only. */
function openLegacy(key: Uint8Array, bytes: Buffer, binding: CredentialsBinding): Buffer {
  if (bytes.length < ivLength + tagLength)
    throw new CredentialsError("tampered", "The sealed credentials are too short.");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, ivLength), { authTagLength: tagLength });
    decipher.setAAD(Buffer.from(`${binding.workspaceId}:${binding.integrationId}`, "utf8"));
    decipher.setAuthTag(bytes.subarray(ivLength, ivLength + tagLength));
    return Buffer.concat([decipher.update(bytes.subarray(ivLength + tagLength)), decipher.final()]);
  } catch (error) {
    throw tampered(error);
  }
}

/** Opens credentials sealed under `sealed.keyId` for `binding`; CredentialsError when they do not. */
export function open(keyring: Keyring, sealed: { ciphertext: Uint8Array; keyId: string }, binding: CredentialsBinding) {
  const bytes = Buffer.from(sealed.ciphertext);
  const privateKey = keyring.privateKeys.get(sealed.keyId);
  const legacyKey = privateKey ? undefined : keyring.legacyKeys.get(sealed.keyId);
  let plain: Buffer;
  if (privateKey) plain = openBox(privateKey, sealed.keyId, bytes, binding);
  else if (legacyKey) plain = openLegacy(legacyKey, bytes, binding);
  else throw new CredentialsError("unknown_key", `No key "${sealed.keyId}" in the credentials keyring.`);
  try {
    return JSON.parse(plain.toString("utf8")) as unknown;
  } catch (error) {
    throw tampered(error);
  }
}

/** Whether a row sealed under `keyId` should be re-sealed to the current public key. */
export function needsReseal(keyring: PublicKeyring, keyId: string): boolean {
  return keyId !== keyring.current.id;
}
