// At most N fetches against one provider at once in this process. A waiter whose job is aborted
// (shutdown, expiry) leaves the line instead of holding a slot it will never use.

export class ProviderLimiter {
  private readonly limit: number;
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(provider: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    await this.acquire(provider, signal);
    try {
      return await work();
    } finally {
      this.release(provider);
    }
  }

  /** Fetches in flight per provider (for /metrics and tests). */
  inFlight(provider: string): number {
    return this.running.get(provider) ?? 0;
  }

  private acquire(provider: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const running = this.running.get(provider) ?? 0;
    if (running < this.limit) {
      this.running.set(provider, running + 1);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(provider) ?? [];
      this.waiting.set(provider, queue);
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        reject(signal.reason instanceof Error ? signal.reason : new DOMException("aborted", "AbortError"));
      };
      // The slot passes straight from the releasing run to this one: the count stays the same.
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      queue.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private release(provider: string): void {
    const next = this.waiting.get(provider)?.shift();
    if (next) next();
    else this.running.set(provider, (this.running.get(provider) ?? 1) - 1);
  }
}
