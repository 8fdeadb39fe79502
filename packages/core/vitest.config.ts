import { defineConfig } from "vitest/config";

// Pure functions and schemas: no database, no global setup.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    passWithNoTests: true,
  },
});
