import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { credentialsBinding, CredentialsError, needsReseal, open, parseKeyring, seal } from "../src/credentials.ts";

const key = (): string => randomBytes(32).toString("base64");
const binding = credentialsBinding("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222");
const secret = { token: "ghp_secret1234", nested: { ok: true } };

function openError(run: () => unknown): CredentialsError {
  try {
    run();
  } catch (error) {
    if (error instanceof CredentialsError) return error;
    throw error;
  }
  throw new Error("expected a CredentialsError");
}

describe("parseKeyring", () => {
  test("the first key is current, every key opens", () => {
    const keyring = parseKeyring(`k2:${key()}, k1:${key()}`);
    expect(keyring.current.id).toBe("k2");
    expect([...keyring.keys.keys()]).toEqual(["k2", "k1"]);
  });

  test("a bad keyring says what to fix", () => {
    expect(() => parseKeyring(undefined)).toThrow(/keyring is missing/);
    expect(() => parseKeyring("")).toThrow(/keyring is empty/);
    expect(() => parseKeyring("k1")).toThrow(/keyId:base64key/);
    expect(() => parseKeyring(`k1:${randomBytes(16).toString("base64")}`)).toThrow(/must be 32 bytes/);
    expect(() => parseKeyring(`K1:${key()}`)).toThrow(/key id must be/);
    expect(() => parseKeyring(`k1:${key()},k1:${key()}`)).toThrow(/must be unique/);
  });
});

describe("seal and open", () => {
  const keyring = parseKeyring(`current:${key()}`);

  test("round trip: iv || tag || data under the current key", () => {
    const sealed = seal(keyring, secret, binding);
    expect(sealed.keyId).toBe("current");
    expect(sealed.ciphertext.length).toBeGreaterThan(28);
    expect(Buffer.from(sealed.ciphertext).toString("utf8")).not.toContain("ghp_secret1234");
    expect(open(keyring, sealed, binding)).toEqual(secret);
    // A fresh iv each time.
    expect(Buffer.from(seal(keyring, secret, binding).ciphertext).equals(Buffer.from(sealed.ciphertext))).toBe(false);
  });

  test("an unknown key id is a typed error", () => {
    const sealed = seal(keyring, secret, binding);
    expect(openError(() => open(keyring, { ...sealed, keyId: "gone" }, binding)).kind).toBe("unknown_key");
  });

  test("a tampered byte anywhere does not open", () => {
    const sealed = seal(keyring, secret, binding);
    for (const index of [0, 12, 28, sealed.ciphertext.length - 1]) {
      const bytes = new Uint8Array(sealed.ciphertext);
      bytes[index] = (bytes[index] ?? 0) ^ 0x01;
      expect(openError(() => open(keyring, { ...sealed, ciphertext: bytes }, binding)).kind).toBe("tampered");
    }
    expect(
      openError(() => open(keyring, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) }, binding)).kind,
    ).toBe("tampered");
  });

  test("a ciphertext moved to another integration does not open", () => {
    const sealed = seal(keyring, secret, binding);
    const other = credentialsBinding("11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333");
    expect(openError(() => open(keyring, sealed, other)).kind).toBe("tampered");
  });

  test("rotation: old keys still open, new seals use the current key", () => {
    const oldKey = key();
    const before = parseKeyring(`old:${oldKey}`);
    const sealedBefore = seal(before, secret, binding);
    const after = parseKeyring(`new:${key()},old:${oldKey}`);
    expect(open(after, sealedBefore, binding)).toEqual(secret);
    expect(needsReseal(after, sealedBefore.keyId)).toBe(true);
    const resealed = seal(after, open(after, sealedBefore, binding), binding);
    expect(resealed.keyId).toBe("new");
    expect(needsReseal(after, resealed.keyId)).toBe(false);
    expect(openError(() => open(before, resealed, binding)).kind).toBe("unknown_key");
  });
});
