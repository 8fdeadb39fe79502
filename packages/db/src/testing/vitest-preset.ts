import type { ViteUserConfig } from "vitest/config";

// The test settings every package with database tests shares, sized for a loaded 2-core machine:
// turbo runs two packages at once (root package.json), each with at most two test files in
// parallel. Bounds are generous because they guard against hangs, not measure speed: a test waits
// for the effect itself (expect.poll, vi.waitUntil), and a slow machine only makes it wait longer.

type TestOptions = NonNullable<ViteUserConfig["test"]>;

export const databaseTestOptions = {
  // One PostgreSQL per run with a migrated template; each test file clones its own database.
  globalSetup: ["@northstar/db/testing/global-setup"],
  include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  maxWorkers: 2,
  testTimeout: 120_000,
  hookTimeout: 180_000,
  // A flaky test is a bug to fix, never one to hide behind a retry.
  retry: 0,
  expect: { poll: { timeout: 30_000, interval: 50 } },
} satisfies TestOptions;
