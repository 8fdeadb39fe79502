// @northstar/worker as a library: what apps/web's browser tests need to run a worker in their own
// process, built as main.ts builds it (the process entry point stays main.ts).
export { createConnectors } from "./providers/index.ts";
export { type RunningWorker, startWorker } from "./worker.ts";
