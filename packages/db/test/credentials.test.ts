import { createCipheriv, KeyObject, randomBytes } from "node:crypto";
import { describe, expect, expectTypeOf, test } from "vitest";
import {
  credentialsBinding,
  type CredentialsBinding,
  CredentialsError,
  generateKeyPair,
  type Keyring,
  needsReseal,
  open,
  parseKeyring,
  parsePublicKeyring,
  type PublicKeyring,
  seal,
} from "../src/credentials.ts";

// The sealed box: the host seals with public keys only; the worker opens, with the row, the
// provider and the target's origin as additional data; keys rotate; rows sealed before the box
// (symmetric keys) still open until they are re-sealed.

const workspaceId = "11111111-1111-4111-8111-111111111111";
const integrationId = "22222222-2222-4222-8222-222222222222";
const binding = credentialsBinding(workspaceId, integrationId, "http-json", {
  url: "https://api.example.com/kpi?x=1",
  valuePath: "$.v",
});
const secret = { headerName: "X-Api-Key", headerValue: "s3cret-value-1234" };

const pair = generateKeyPair("k1");
const host = parsePublicKeyring(pair.publicKey);
const worker = parseKeyring(pair.privateKey);

function openError(run: () => unknown): CredentialsError {
  try {
    run();
  } catch (error) {
    if (error instanceof CredentialsError) return error;
    throw error;
  }
  throw new Error("expected a CredentialsError");
}

describe("keys from the environment", () => {
  test("keygen's lines parse: the host's as public keys, the worker's as private keys (the first current)", () => {
    const second = generateKeyPair("k2");
    expect(pair.publicKey).toMatch(/^k1:[A-Za-z0-9+/]+=*$/);
    const keyring = parseKeyring(`${second.privateKey}, ${pair.privateKey}`);
    expect(keyring.current.id).toBe("k2");
    expect([...keyring.privateKeys.keys()]).toEqual(["k2", "k1"]);
    expect(keyring.current.publicKey.type).toBe("public");
    expect(host.current).toMatchObject({ id: "k1" });
  });

  test("malformed keys say what to fix", () => {
    expect(() => parsePublicKeyring(undefined)).toThrow(/public key list is missing/);
    expect(() => parsePublicKeyring(" ")).toThrow(/public key list is empty/);
    expect(() => parsePublicKeyring("k1")).toThrow(/keyId:base64key/);
    expect(() => parsePublicKeyring(`K1:${pair.publicKey.slice(3)}`)).toThrow(/key id must be/);
    expect(() => parsePublicKeyring("k1:not base64!")).toThrow(/not base64/);
    expect(() => parsePublicKeyring(`k1:${randomBytes(32).toString("base64")}`)).toThrow(/X25519 public key/);
    // A private key where the host takes a public one, and the other way round: named as such.
    expect(() => parsePublicKeyring(pair.privateKey)).toThrow(/is a PRIVATE key/);
    expect(() => parseKeyring(pair.publicKey)).toThrow(/is a public key/);
    expect(() => parseKeyring(`${pair.privateKey},${pair.privateKey}`)).toThrow(/must be unique/);
    expect(() => parseKeyring(pair.privateKey, `k1:${randomBytes(32).toString("base64")}`)).toThrow(
      /names both a private key and a symmetric key/,
    );
    expect(() => parseKeyring(pair.privateKey, `old:${randomBytes(16).toString("base64")}`)).toThrow(/32 bytes/);
    expect(() => generateKeyPair("Not an id")).toThrow(/Key id/);
  });

  test("the host's keyring holds no private key and cannot open: not in its type, not at run time", () => {
    expectTypeOf<PublicKeyring>().not.toExtend<Keyring>();
    expectTypeOf<PublicKeyring>().not.toExtend<Parameters<typeof open>[0]>();
    const keyObjects = (value: unknown): KeyObject[] =>
      value instanceof KeyObject
        ? [value]
        : typeof value === "object" && value !== null
          ? Object.values(value).flatMap(keyObjects)
          : [];
    expect(keyObjects(host).map((key) => key.type)).toEqual(["public"]);
    expect(Object.keys(host)).toEqual(["current"]);
  });
});

describe("seal and open", () => {
  test("round trip: the host seals, the worker opens; each seal is a fresh ephemeral key", () => {
    const sealed = seal(host, secret, binding);
    expect(sealed.keyId).toBe("k1");
    expect(sealed.ciphertext[0]).toBe(1);
    expect(Buffer.from(sealed.ciphertext).toString("utf8")).not.toContain("s3cret");
    expect(open(worker, sealed, binding)).toEqual(secret);
    const again = seal(host, secret, binding);
    expect(Buffer.from(again.ciphertext.subarray(1, 33)).equals(Buffer.from(sealed.ciphertext.subarray(1, 33)))).toBe(
      false,
    );
  });

  test("another private key does not open it; an unknown key id is a typed error", () => {
    const sealed = seal(host, secret, binding);
    const stranger = parseKeyring(generateKeyPair("k1").privateKey);
    expect(openError(() => open(stranger, sealed, binding)).kind).toBe("tampered");
    expect(openError(() => open(worker, { ...sealed, keyId: "gone" }, binding)).kind).toBe("unknown_key");
  });

  test("a flipped byte anywhere (version, ephemeral key, iv, tag, data) does not open", () => {
    const sealed = seal(host, secret, binding);
    for (const index of [0, 1, 20, 33, 45, 60, 61, sealed.ciphertext.length - 1]) {
      const bytes = new Uint8Array(sealed.ciphertext);
      bytes[index] = (bytes[index] ?? 0) ^ 0x01;
      expect(openError(() => open(worker, { ...sealed, ciphertext: bytes }, binding)).kind, `byte ${index}`).toBe(
        "tampered",
      );
    }
    expect(
      openError(() => open(worker, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 40) }, binding)).kind,
    ).toBe("tampered");
  });

  test("moved to another row, workspace or provider, or pointed at another origin, it does not open", () => {
    const sealed = seal(host, secret, binding);
    const config = { url: "https://api.example.com/kpi?x=1", valuePath: "$.v" };
    const elsewhere: CredentialsBinding[] = [
      credentialsBinding(workspaceId, "33333333-3333-4333-8333-333333333333", "http-json", config),
      credentialsBinding("44444444-4444-4444-8444-444444444444", integrationId, "http-json", config),
      credentialsBinding(workspaceId, integrationId, "github", config),
      credentialsBinding(workspaceId, integrationId, "http-json", { ...config, url: "https://evil.example.net/kpi" }),
      credentialsBinding(workspaceId, integrationId, "http-json", { ...config, url: "http://api.example.com/kpi" }),
      credentialsBinding(workspaceId, integrationId, "http-json", { ...config, url: "https://api.example.com:8443/" }),
      credentialsBinding(workspaceId, integrationId, "http-json", { ...config, url: "not a url" }),
    ];
    for (const other of elsewhere) expect(openError(() => open(worker, sealed, other)).kind).toBe("tampered");
  });

  test("the origin is all that is bound of the URL: its path, query and default port may change", () => {
    const sealed = seal(host, secret, binding);
    const moved = credentialsBinding(workspaceId, integrationId, "http-json", {
      url: "https://API.example.com:443/other/path?y=2",
      valuePath: "$.w",
    });
    expect(moved.origin).toBe("https://api.example.com:443");
    expect(open(worker, sealed, moved)).toEqual(secret);
  });

  test("providers whose target the operator fixes bind no origin", () => {
    expect(credentialsBinding(workspaceId, integrationId, "github", { owner: "o", repo: "r" }).origin).toBeNull();
    expect(credentialsBinding(workspaceId, integrationId, "stripe", {}).origin).toBeNull();
    expect(credentialsBinding(workspaceId, integrationId, "csv", {}).origin).toBeNull();
  });

  test("rotation: the worker holds [new, old]; old rows open and need re-sealing; re-sealed, only the new key opens", () => {
    const next = generateKeyPair("k2");
    const rotated = parseKeyring(`${next.privateKey},${pair.privateKey}`);
    const sealedBefore = seal(host, secret, binding);
    expect(open(rotated, sealedBefore, binding)).toEqual(secret);
    expect(needsReseal(rotated, sealedBefore.keyId)).toBe(true);
    // The worker re-seals to its own current public key.
    const resealed = seal(rotated, open(rotated, sealedBefore, binding), binding);
    expect(resealed.keyId).toBe("k2");
    expect(needsReseal(rotated, resealed.keyId)).toBe(false);
    expect(open(parseKeyring(next.privateKey), resealed, binding)).toEqual(secret);
    expect(openError(() => open(worker, resealed, binding)).kind).toBe("unknown_key");
  });

  test("a row sealed before the box (symmetric key, bound to the row) opens with the old key beside the private keys", () => {
    const oldKey = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", oldKey, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(`${workspaceId}:${integrationId}`, "utf8"));
    const data = Buffer.concat([cipher.update(JSON.stringify(secret), "utf8"), cipher.final()]);
    const legacy = { ciphertext: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), data])), keyId: "2026-11" };
    const upgraded = parseKeyring(pair.privateKey, `2026-11:${oldKey.toString("base64")}`);
    expect(open(upgraded, legacy, binding)).toEqual(secret);
    expect(needsReseal(upgraded, legacy.keyId)).toBe(true);
    const other = credentialsBinding(workspaceId, "33333333-3333-4333-8333-333333333333", "http-json", {});
    expect(openError(() => open(upgraded, legacy, other)).kind).toBe("tampered");
    expect(openError(() => open(worker, legacy, binding)).kind).toBe("unknown_key");
  });
});
