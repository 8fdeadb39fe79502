import { describe, expect, test } from "vitest";
import { z } from "zod";
import { flag, httpUrl, logLevel, nodeEnv, parseSettings, port } from "./settings.ts";

const schema = z
  .object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    PORT: port.default(3000),
    SECRET: z.string().min(8, "SECRET must be at least 8 characters"),
    API_URL: httpUrl.optional(),
    VERBOSE: flag,
  })
  .refine((env) => env.PORT !== 1, { error: "Port 1 is reserved", path: ["PORT"] });

describe("settings from an environment", () => {
  test("defaults fill what is unset", () => {
    expect(parseSettings(schema, { SECRET: "12345678" }, "test")).toEqual({
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      PORT: 3000,
      SECRET: "12345678",
      VERBOSE: false,
    });
    expect(parseSettings(schema, { SECRET: "12345678", PORT: "8080", VERBOSE: "true" }, "test")).toMatchObject({
      PORT: 8080,
      VERBOSE: true,
    });
  });

  test("every bad variable is named, with what to fix", () => {
    const bad = () => parseSettings(schema, { PORT: "http", API_URL: "ftp://x", VERBOSE: "yes" }, "test");
    expect(bad).toThrow("Invalid test settings:\n  ");
    expect(bad).toThrow("PORT: must be a number");
    expect(bad).toThrow("SECRET: required, but not set");
    expect(bad).toThrow("API_URL: must be an http(s) URL");
    expect(bad).toThrow("VERBOSE: Use 1/true or 0/false");
    expect(() => parseSettings(schema, { SECRET: "short" }, "test")).toThrow(
      "SECRET: SECRET must be at least 8 characters",
    );
    expect(() => parseSettings(schema, { SECRET: "12345678", PORT: "1" }, "test")).toThrow("PORT: Port 1 is reserved");
    expect(() => parseSettings(schema, { SECRET: "12345678", NODE_ENV: "staging" }, "test")).toThrow(
      /NODE_ENV: .*production/,
    );
  });
});
