import { createHash, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import type { ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";

// API keys under row-level security, through the application's own non-superuser connection:
// only the context workspace's OWNERs and ADMINs see or make keys, nobody reads a key's hash, and
// the lookup before any context is the definer function's alone.

const ctx = useTestDatabase();
let t: Tenancy;

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
});

type UserName = keyof Tenancy["users"];

function as<T>(user: UserName | null, workspace: "a" | "b" | null, work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return ctx().db.withContext(
    { userId: user ? t.users[user] : null, workspaceId: workspace ? t.workspaces[workspace] : null },
    work,
  );
}

function hashOf(secret: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(createHash("sha256").update(secret).digest());
}

let counter = 0;
function publicId(): string {
  counter += 1;
  return `k${String(counter).padStart(11, "0")}`;
}

async function insertKey(user: UserName, workspace: "a" | "b", options: { createdBy?: string } = {}) {
  const id = publicId();
  const secret = randomUUID();
  const workspaceId = t.workspaces[workspace];
  const rows = await as(user, workspace, (db) =>
    db.$queryRaw<{ id: string }[]>(Prisma.sql`
      INSERT INTO api_keys (workspace_id, name, public_id, token_hash, scopes, created_by)
      VALUES (${workspaceId}::uuid, 'script', ${id}, ${hashOf(secret)}, ARRAY['read']::"ApiKeyScope"[],
              ${options.createdBy ?? t.users[user]}::uuid)
      RETURNING id::text AS id`),
  );
  return { id: rows[0]?.id ?? "", publicId: id, secret };
}

async function refusal(promise: Promise<unknown>): Promise<string | null> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  return error instanceof DatabaseError ? error.kind : null;
}

function lookup(publicKeyId: string, secret: string) {
  return as(null, null, (db) =>
    db.$queryRaw<{ key_id: string; workspace_id: string; user_id: string; creator_role: string | null }[]>(
      Prisma.sql`SELECT key_id::text, workspace_id::text, user_id::text, creator_role
                   FROM app.api_key_for_token(${publicKeyId}, ${hashOf(secret)})`,
    ),
  );
}

async function touch(publicKeyId: string, secret: string): Promise<boolean | undefined> {
  const rows = await as(null, null, (db) =>
    db.$queryRaw<{ touched: boolean }[]>(
      Prisma.sql`SELECT app.touch_api_key(${publicKeyId}, ${hashOf(secret)}) AS touched`,
    ),
  );
  return rows[0]?.touched;
}

describe("api_keys", () => {
  test("owners and admins of the context workspace see and make its keys; members, viewers and other tenants none", async () => {
    const keyA = await insertKey("alice", "a");
    const keyB = await insertKey("alice", "b");
    const visible = (user: UserName, workspace: "a" | "b") =>
      as(user, workspace, async (db) =>
        (await db.apiKey.findMany({ select: { id: true } })).map((key) => key.id).sort(),
      );
    expect(await visible("alice", "a")).toContain(keyA.id);
    expect(await visible("alice", "a")).not.toContain(keyB.id);
    expect(await visible("carol", "b")).toEqual(expect.arrayContaining([keyB.id]));
    expect(await visible("carol", "b")).not.toContain(keyA.id);
    expect(await visible("bob", "a")).toEqual([]);
    expect(await visible("vera", "a")).toEqual([]);
    expect(await visible("dave", "a")).toEqual([]);
    expect(await refusal(insertKey("bob", "a"))).toBe("permission_denied");
    // Nobody makes a key in someone else's name.
    expect(await refusal(insertKey("alice", "a", { createdBy: t.users.bob }))).toBe("permission_denied");
  });

  test("nobody reads a key's hash, deletes a key, or changes more than its revocation", async () => {
    const key = await insertKey("alice", "a");
    expect(await refusal(as("alice", "a", (db) => db.$queryRaw(Prisma.sql`SELECT token_hash FROM api_keys`)))).toBe(
      "permission_denied",
    );
    expect(
      await refusal(
        as("alice", "a", (db) => db.$executeRaw(Prisma.sql`DELETE FROM api_keys WHERE id = ${key.id}::uuid`)),
      ),
    ).toBe("permission_denied");
    expect(
      await refusal(
        as("alice", "a", (db) =>
          db.$executeRaw(
            Prisma.sql`UPDATE api_keys SET scopes = ARRAY['write']::"ApiKeyScope"[] WHERE id = ${key.id}::uuid`,
          ),
        ),
      ),
    ).toBe("permission_denied");
    const revoked = await as("alice", "a", (db) =>
      db.apiKey.updateMany({ where: { id: key.id }, data: { revokedAt: new Date() } }),
    );
    expect(revoked.count).toBe(1);
    // A member's revocation touches nothing.
    const other = await insertKey("alice", "a");
    const byMember = await as("bob", "a", (db) =>
      db.apiKey.updateMany({ where: { id: other.id }, data: { revokedAt: new Date() } }),
    );
    expect(byMember.count).toBe(0);
  });

  test("the definer functions find a live key by its secret and mark it used once a minute; a revoked key is not found", async () => {
    const key = await insertKey("alice", "b");
    expect(await lookup(key.publicId, "wrong")).toEqual([]);
    expect(await lookup("k99999999999", key.secret)).toEqual([]);
    const [found] = await lookup(key.publicId, key.secret);
    expect(found).toEqual({
      key_id: key.id,
      workspace_id: t.workspaces.b,
      user_id: t.users.alice,
      creator_role: "ADMIN",
    });
    const usedAt = async () =>
      (
        await ctx().admin.query<{ used: Date | null }>("SELECT last_used_at AS used FROM api_keys WHERE id = $1", [
          key.id,
        ])
      ).rows[0]?.used ?? null;
    // Looking a key up writes nothing; marking it used writes once a minute, and only with the secret.
    expect(await usedAt()).toBeNull();
    expect(await touch(key.publicId, "wrong")).toBe(false);
    expect(await usedAt()).toBeNull();
    expect(await touch(key.publicId, key.secret)).toBe(true);
    const first = await usedAt();
    expect(first).not.toBeNull();
    expect(await touch(key.publicId, key.secret)).toBe(false);
    expect(await usedAt()).toEqual(first);
    // A read-only lookup cannot be turned into a write by the application role either.
    expect(
      await refusal(
        as(null, null, (db) =>
          db.$executeRaw(Prisma.sql`UPDATE api_keys SET last_used_at = now() WHERE id = ${key.id}::uuid`),
        ),
      ),
    ).toBe("permission_denied");

    await as("alice", "b", (db) => db.apiKey.updateMany({ where: { id: key.id }, data: { revokedAt: new Date() } }));
    expect(await lookup(key.publicId, key.secret)).toEqual([]);
  });

  test("a key whose creator left answers no role", async () => {
    const key = await insertKey("alice", "a");
    await ctx().admin.query("UPDATE api_keys SET created_by = $1 WHERE id = $2", [t.users.dave, key.id]);
    const [found] = await lookup(key.publicId, key.secret);
    expect(found?.creator_role).toBeNull();
  });
});
