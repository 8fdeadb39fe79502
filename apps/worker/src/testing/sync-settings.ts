import type { SyncSettings } from "../env.ts";

// The sync settings of every test that runs a worker (the worker's own and the browser tests'):
// short waits so that retries and leases play out within a test, generous bounds against a hang.

export const testSyncSettings: SyncSettings = {
  leaseSeconds: 15,
  // Bounds against a hang, not speed targets: far above a loopback fetch on a loaded machine.
  runTimeoutSeconds: 120,
  overlapSeconds: 300,
  backfillDays: 30,
  retryBaseSeconds: 1,
  retryMaxSeconds: 4,
  maxConsecutiveFailures: 3,
  runHistory: 5,
  httpTimeoutSeconds: 60,
  // The providers in these tests are servers on 127.0.0.1.
  allowPrivateNetwork: true,
};
