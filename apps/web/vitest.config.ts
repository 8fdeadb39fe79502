import { databaseTestOptions } from "@northstar/db/testing/vitest-preset";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    ...databaseTestOptions,
    // The end-to-end tests also get one production build of the client.
    globalSetup: [...databaseTestOptions.globalSetup, "./e2e/build-client.ts"],
    include: ["server/**/*.test.ts", "test/**/*.test.ts", "e2e/**/*.test.ts"],
    // One file at a time: a browser, the host and a worker are already more than 2 cores' worth.
    maxWorkers: 1,
  },
});
