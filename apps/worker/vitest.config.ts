import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One PostgreSQL per run with a migrated template; each test file clones its own database.
    globalSetup: ["@northstar/db/testing/global-setup"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
