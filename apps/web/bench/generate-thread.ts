// generateData in a worker thread of its own (`pnpm bench`): loading millions of points leaves the
// loader's heap large and its JIT shaped by the loader's code, and the benchmark's host runs in the
// main thread. Loaded in the main thread, the 17.5M points cost the host's kpi.series a third of
// its throughput (1,124 against 1,598 calls/s on the same database loaded beforehand); a worker's
// heap goes when the worker ends.
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { generateData, type GenerateOptions, type GenerateResult } from "@northstar/db/generate";

type Message = { progress: [done: number, total: number] } | { result: GenerateResult };

/** generateData(options) in a worker thread; `onProgress` is called in this one. */
export function generateInThread(options: GenerateOptions): Promise<GenerateResult> {
  const { onProgress, ...data } = options;
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: data });
    let result: GenerateResult | null = null;
    worker.on("message", (message: Message) => {
      if ("progress" in message) onProgress?.(...message.progress);
      else result = message.result;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (result) resolve(result);
      else reject(new Error(`the data generator's thread ended (code ${code}) without a result`));
    });
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const result = await generateData({
    ...(workerData as Omit<GenerateOptions, "onProgress">),
    onProgress: (done, total) => {
      port.postMessage({ progress: [done, total] } satisfies Message);
    },
  });
  port.postMessage({ result } satisfies Message);
}
