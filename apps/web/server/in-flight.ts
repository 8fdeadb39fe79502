import type { CallSlot } from "@northstar/api";

// At most `running` calls per key at once, in this process's memory: a caller's further calls
// wait their turn (holding no database connection) up to `waiting` of them, and beyond that are
// refused. So a batch of 20 reads from one person still runs, a few at a time, while one person
// cannot hold more than `running` of the pool's connections.

export interface InFlightLimit {
  /** Calls of one key that run at once. */
  running: number;
  /** Calls of one key that may wait for a running one to end; more are refused. */
  waiting: number;
}

interface Line {
  running: number;
  waiting: (() => void)[];
}

export class InFlightLimiter {
  private readonly limit: InFlightLimit;
  private readonly lines = new Map<string, Line>();

  constructor(limit: InFlightLimit) {
    this.limit = limit;
    if (!Number.isInteger(limit.running) || limit.running < 1 || !Number.isInteger(limit.waiting) || limit.waiting < 0)
      throw new RangeError("an in-flight limit needs running >= 1 and waiting >= 0, whole numbers");
  }

  /** A slot for `key`: now, once an earlier call ends, or null (too many, or `signal` ended the wait). */
  enter(key: string, signal?: AbortSignal): Promise<CallSlot | null> {
    const line = this.lines.get(key) ?? { running: 0, waiting: [] };
    if (line.running < this.limit.running) {
      line.running += 1;
      this.lines.set(key, line);
      return Promise.resolve(this.slot(key, line));
    }
    if (line.waiting.length >= this.limit.waiting || signal?.aborted === true) return Promise.resolve(null);
    return new Promise((resolve) => {
      const giveUp = () => {
        line.waiting = line.waiting.filter((waiter) => waiter !== admit);
        resolve(null);
      };
      const admit = () => {
        signal?.removeEventListener("abort", giveUp);
        resolve(this.slot(key, line));
      };
      signal?.addEventListener("abort", giveUp, { once: true });
      line.waiting.push(admit);
    });
  }

  private slot(key: string, line: Line): CallSlot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        // The slot passes straight to the next waiter, so the count of running calls stays.
        const next = line.waiting.shift();
        if (next) {
          next();
          return;
        }
        line.running -= 1;
        if (line.running === 0) this.lines.delete(key);
      },
    };
  }
}
