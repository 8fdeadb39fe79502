import { DatabaseError, type DatabaseErrorKind } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { describe, expect, test } from "vitest";
import { retryAfterSeconds } from "./call-limits.ts";
import { databaseErrorToTRPC, toTRPCError } from "./errors.ts";

describe("database errors as tRPC errors", () => {
  test.each<[DatabaseErrorKind, TRPCError["code"]]>([
    ["unique_violation", "CONFLICT"],
    ["foreign_key_violation", "CONFLICT"],
    ["check_violation", "BAD_REQUEST"],
    ["not_null_violation", "BAD_REQUEST"],
    ["permission_denied", "FORBIDDEN"],
    ["serialization_failure", "CONFLICT"],
    ["not_found", "NOT_FOUND"],
    ["invalid_input", "BAD_REQUEST"],
    ["timeout", "TIMEOUT"],
  ])("%s -> %s, in our words", (kind, code) => {
    const error = databaseErrorToTRPC(new DatabaseError(kind, 'raw: duplicate key value violates "x"', undefined));
    expect(error.code).toBe(code);
    expect(error.message).not.toContain("raw:");
  });

  test("a named constraint gets its own message", () => {
    const error = databaseErrorToTRPC(new DatabaseError("check_violation", "raw", "workspaces_keep_an_owner"));
    expect(error.message).toBe("A workspace must keep at least one owner: make another member an owner first.");
  });

  test("database errors wrapped by tRPC are unwrapped; other tRPC errors pass through", () => {
    const wrapped = new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      cause: new DatabaseError("timeout", "raw", undefined),
    });
    expect(toTRPCError(wrapped).code).toBe("TIMEOUT");
    const own = new TRPCError({ code: "NOT_FOUND", message: "KPI not found." });
    expect(toTRPCError(own)).toBe(own);
    expect(toTRPCError(new Error("anything else")).code).toBe("INTERNAL_SERVER_ERROR");
  });

  test("a saturated pool (pg-pool's acquire timeout, raw or wrapped) is 503 with a Retry-After", () => {
    // What pg-pool 3 throws when no connection frees up within connectionTimeoutMillis.
    const acquireTimeout = new Error("timeout exceeded when trying to connect");
    for (const error of [acquireTimeout, new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: acquireTimeout })]) {
      const mapped = toTRPCError(error);
      expect(mapped.code).toBe("SERVICE_UNAVAILABLE");
      expect(mapped.message).toMatch(/try again/);
      expect(retryAfterSeconds([mapped])).toBeGreaterThan(0);
    }
    // The same words with a code are some other failure (not ETIMEDOUT: a socket timeout reaching
    // the database is the database being unreachable, 503 too, but not "busy").
    const coded = Object.assign(new Error("timeout exceeded when trying to connect"), { code: "XX000" });
    expect(toTRPCError(coded).code).toBe("INTERNAL_SERVER_ERROR");
  });
});

describe("an unreachable database", () => {
  // What pg and Prisma throw while PostgreSQL is stopped or restarting, as the outage test met them.
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
    syscall: "connect",
  });
  const terminated = Object.assign(new Error("terminating connection due to administrator command"), {
    code: "57P01",
    severity: "FATAL",
  });
  const lost = Object.assign(new Error("The database connection was lost during the transaction."), { code: "08006" });
  const prismaUnreachable = Object.assign(new Error("Can't reach database server"), { code: "P1001" });
  // As the outage test met it in CI: the client's 08006 around Prisma's raw-query error (a code of
  // its own) around the driver's "terminating connection" (57P01 in its cause).
  const lostAroundPrisma = Object.assign(new Error("The database connection was lost during the transaction."), {
    code: "08006",
    cause: Object.assign(new Error("terminating connection due to administrator command"), {
      code: "P2010",
      cause: { name: "DriverAdapterError", cause: { kind: "postgres", originalCode: "57P01" } },
    }),
  });

  test.each([refused, terminated, lost, prismaUnreachable, lostAroundPrisma])(
    "%s -> SERVICE_UNAVAILABLE with a Retry-After",
    (error) => {
      for (const thrown of [error, new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error })]) {
        const mapped = toTRPCError(thrown);
        expect(mapped.code).toBe("SERVICE_UNAVAILABLE");
        expect(mapped.message).toMatch(/database is not reachable.*try again in 5 seconds/);
        expect(retryAfterSeconds([mapped])).toBe(5);
      }
    },
  );

  test("a statement the database refused is not an outage", () => {
    const unique = Object.assign(new Error("duplicate key"), { code: "23505" });
    expect(toTRPCError(unique).code).toBe("CONFLICT");
    expect(retryAfterSeconds([toTRPCError(new Error("anything else"))])).toBeNull();
  });
});
