// What a process under load still holds: its V8 heap right after a full collection, plus the
// memory V8 tracks outside the heap (buffers, the Prisma engine's WebAssembly memory). Resident
// memory also counts garbage waiting for the next full collection and pages V8 has not given back,
// which move with V8's heap sizing rather than with what the process keeps: a cache of charts that
// churns can raise a host's RSS by 80 MiB in a few seconds and then hold it. Growth in live memory
// is something kept: a leak, or a cache filling.
//
// Read over the process's inspector (the Chrome DevTools Protocol on a WebSocket), which the load
// test opens on 127.0.0.1 (processes.ts, `--inspect=127.0.0.1:0`).

const MiB = 1024 * 1024;

export interface LiveMemory {
  /** MiB of V8 heap still reachable after a full collection. */
  heap: number;
  /** MiB V8 tracks outside its heap: ArrayBuffers, WebAssembly memories, strings held by native code. */
  external: number;
  /** MiB resident right after that collection: the live memory plus what V8, Node and libc keep. */
  rss: number;
}

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

/** Collects the garbage of the process behind `inspectorUrl` and reads what is left. */
export async function liveMemory(inspectorUrl: string): Promise<LiveMemory> {
  const socket = new WebSocket(inspectorUrl);
  const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener("message", (event) => {
    const reply = JSON.parse(String(event.data)) as Reply;
    const call = reply.id === undefined ? undefined : waiting.get(reply.id);
    if (!call || reply.id === undefined) return;
    waiting.delete(reply.id);
    if (reply.error) call.reject(new Error(`inspector: ${reply.error.message}`));
    else call.resolve(reply.result);
  });
  // A process that dies mid-call closes the socket: its calls fail rather than wait for ever.
  socket.addEventListener("close", () => {
    for (const call of waiting.values()) call.reject(new Error(`the inspector at ${inspectorUrl} closed`));
    waiting.clear();
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => {
      resolve();
    });
    socket.addEventListener("error", () => {
      reject(new Error(`cannot reach the inspector at ${inspectorUrl}`));
    });
  });
  let nextId = 1;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    const evaluated = (await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result: { value: string } };
    const usage = JSON.parse(evaluated.result.value) as NodeJS.MemoryUsage;
    return { heap: usage.heapUsed / MiB, external: usage.external / MiB, rss: usage.rss / MiB };
  } finally {
    socket.close();
  }
}
