import { describe, expect, test } from "vitest";
import { InFlightLimiter } from "../server/in-flight.ts";

// The per-caller in-flight limit on its own: who runs, who waits, who is refused, in what order.

describe("InFlightLimiter", () => {
  test("runs `running` calls, queues `waiting` more in order, refuses the rest", async () => {
    const limiter = new InFlightLimiter({ running: 1, waiting: 2 });
    const first = await limiter.enter("user:a");
    expect(first).not.toBeNull();
    const order: string[] = [];
    const entered = (name: string) =>
      limiter.enter("user:a").then((slot) => {
        order.push(name);
        return slot;
      });
    const second = entered("second");
    const third = entered("third");
    expect(await limiter.enter("user:a")).toBeNull();
    // Another caller has lines of its own.
    expect(await limiter.enter("user:b")).not.toBeNull();

    first?.release();
    const secondSlot = await second;
    expect(order).toEqual(["second"]);
    // Releasing twice frees one slot, not two.
    first?.release();
    expect(order).toEqual(["second"]);
    secondSlot?.release();
    (await third)?.release();
    expect(order).toEqual(["second", "third"]);
    // All ended: the caller starts afresh.
    expect(await limiter.enter("user:a")).not.toBeNull();
  });

  test("a caller that goes away stops waiting and leaves its place", async () => {
    const limiter = new InFlightLimiter({ running: 1, waiting: 1 });
    const running = await limiter.enter("user:a");
    const gone = new AbortController();
    const waiting = limiter.enter("user:a", gone.signal);
    gone.abort();
    expect(await waiting).toBeNull();
    // Its place in the queue is free again, and the slot goes to the next one.
    const next = limiter.enter("user:a");
    running?.release();
    expect(await next).not.toBeNull();
  });

  test("limits must make sense", () => {
    expect(() => new InFlightLimiter({ running: 0, waiting: 1 })).toThrow(RangeError);
    expect(() => new InFlightLimiter({ running: 1, waiting: -1 })).toThrow(RangeError);
  });
});
