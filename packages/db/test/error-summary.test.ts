import { expect, test } from "vitest";
import { errorSummary } from "../src/errors.ts";

// What a log line keeps of an error: its message and code, never the client a pg error carries,
// and a readable message for the plain objects pg-boss re-emits.

test("an Error keeps its message and code, and nothing else it holds", () => {
  const error = Object.assign(new Error("Connection terminated unexpectedly"), {
    code: "57P01",
    client: { connectionParameters: { password: "hunter2" } },
  });
  const summary = errorSummary(error);
  expect(summary).toEqual({ message: "Connection terminated unexpectedly", code: "57P01" });
  expect(JSON.stringify(summary)).not.toContain("hunter2");
});

test("a plain object is read by its fields, not printed as [object Object]", () => {
  expect(errorSummary({ message: "queue is gone", code: 42 })).toEqual({ message: "queue is gone", code: "42" });
  expect(errorSummary({ reason: "no message here" })).toEqual({ message: "[object Object]", code: undefined });
  expect(errorSummary("just text")).toEqual({ message: "just text", code: undefined });
});
