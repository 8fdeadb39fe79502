import type { ContextReader, Database } from "@northstar/db";
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { createApp } from "../server/app.ts";
import type { OverloadLimit } from "../server/overload.ts";

// The host-wide bound on tRPC requests (overload.ts), through the real app: requests held inside
// the database (a stand-in whose reads wait at a gate the test opens) fill the running places and
// the line; the next one is refused at once with 503, Retry-After and tRPC's error shape; once the
// held ones end, the host serves again. No timers: each step waits for its effect.

/** Reads held until the test opens the gate. */
class Gate {
  private waiting: (() => void)[] = [];
  private open = false;
  private arrivals: (() => void)[] = [];

  get held(): number {
    return this.waiting.length;
  }

  pass(): Promise<void> {
    if (this.open) return Promise.resolve();
    const passed = new Promise<void>((resolve) => this.waiting.push(resolve));
    for (const arrived of this.arrivals.splice(0)) arrived();
    return passed;
  }

  /** Resolves once `count` reads wait at the gate. */
  async holding(count: number): Promise<void> {
    while (this.waiting.length < count) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  openForGood(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** A database whose every read waits at `gate`, then finds nothing (so a session is unknown). */
function gatedDatabase(gate: Gate): Database {
  const unused = () => Promise.reject(new Error("not used by these calls"));
  const reader = (): ContextReader => ({
    context: { userId: null, workspaceId: null },
    $queryRaw: async <T>() => {
      await gate.pass();
      return [] as T;
    },
    batch: () => unused(),
  });
  return {
    withContext: unused,
    withWorkerContext: unused,
    withWorkerMaintenance: unused,
    reader,
    workerReader: reader,
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const origin = "http://127.0.0.1:3000";
// A well-formed token: the host looks it up (and waits at the gate); it names no session.
const cookie = `northstar_session=${"a".repeat(43)}`;

function host(gate: Gate, overload: Partial<OverloadLimit>) {
  return createApp({
    database: gatedDatabase(gate),
    auth: { baseUrl: origin, secret: "a-test-secret-that-is-long-enough-1234", providers: {} },
    logger: pino({ level: "silent" }),
    overload,
  });
}

function call(app: ReturnType<typeof host>, paths = ["me.get"], signal?: AbortSignal): Promise<Response> {
  const input = Object.fromEntries(paths.map((_, index) => [String(index), { json: null }]));
  const url = `${origin}/trpc/${paths.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
  return Promise.resolve(app.request(url, { headers: { cookie }, ...(signal ? { signal } : {}) }));
}

async function codesOf(response: Response): Promise<string[]> {
  const body = (await response.json()) as { error?: { json: { data: { code: string } } } }[];
  return body.map((envelope) => envelope.error?.json.data.code ?? "OK");
}

describe("the host-wide bound on tRPC requests", () => {
  test("runs `running`, queues `waiting`, refuses the rest at once with 503 + Retry-After, then recovers", async () => {
    const gate = new Gate();
    const app = host(gate, { running: 2, waiting: 1, retryAfterSeconds: 3 });
    const running = [call(app), call(app)];
    await gate.holding(2);
    // Of two more, one takes the only place in line and the other is refused, while both held
    // requests still wait: the refusal cannot have waited for them.
    const more = [call(app), call(app)];
    const refused = await Promise.race(more);
    expect(gate.held).toBe(2);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("3");
    expect(await codesOf(refused)).toEqual(["SERVICE_UNAVAILABLE"]);
    // A batch is refused as a whole, each call in tRPC's shape.
    const batch = await call(app, ["me.get", "me.workspaces"]);
    expect(batch.status).toBe(503);
    expect(await codesOf(batch)).toEqual(["SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);

    gate.openForGood();
    const answers = await Promise.all([...running, ...more]);
    // The held ones and the one in line ran (and found no session); exactly one was refused.
    expect(answers.map((answer) => answer.status).sort()).toEqual([401, 401, 401, 503]);
    // Nothing left running: the host takes requests again.
    const after = await Promise.all([call(app), call(app), call(app)]);
    expect(after.map((answer) => answer.status)).toEqual([401, 401, 401]);
  });

  test("a client that hangs up while waiting leaves its place in line", async () => {
    const gate = new Gate();
    const app = host(gate, { running: 1, waiting: 1 });
    const held = call(app);
    await gate.holding(1);
    const gone = new AbortController();
    const leaving = call(app, ["me.get"], gone.signal);
    gone.abort();
    await leaving.catch(() => undefined);
    // Its place is free: the next request waits in line instead of being refused.
    const next = call(app);
    const refused = await call(app);
    expect(refused.status).toBe(503);
    gate.openForGood();
    expect((await held).status).toBe(401);
    expect((await next).status).toBe(401);
  });

  test("the bound must make sense", () => {
    expect(() => host(new Gate(), { running: 0 })).toThrow(RangeError);
    expect(() => host(new Gate(), { retryAfterSeconds: 0 })).toThrow(RangeError);
  });
});
