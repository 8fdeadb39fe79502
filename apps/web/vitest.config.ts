import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One PostgreSQL per run with a migrated template; each test file clones its own database.
    // The end-to-end tests also get one production build of the client.
    globalSetup: ["@northstar/db/testing/global-setup", "./e2e/build-client.ts"],
    include: ["server/**/*.test.ts", "test/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
