import { quantile } from "@northstar/db/testing";
import superjson from "superjson";

// tRPC over plain HTTP, as the web client sends it (batched GETs for queries, POSTs with the
// page's Origin for mutations, superjson inside), and what the load test keeps of every answer:
// its status and latency by phase and procedure.

export interface Call {
  path: string;
  input: unknown;
}

export interface Answer {
  /** HTTP status; 0 when no answer came (connection error or the hang bound). */
  status: number;
  retryAfter: string | null;
  ms: number;
  /** Each call's tRPC error code, null for a result. */
  codes: (string | null)[];
  /** Why there was no answer. */
  failure?: string;
}

interface Envelope {
  result?: unknown;
  error?: { json?: { data?: { code?: string } } };
}

// A hang detector, far above any answer a loaded machine gives: a call this slow is a failure.
const answerBoundMs = 120_000;

export class TrpcClient {
  private readonly baseUrl: string;
  /** The host's public origin: writes must come from it (same-origin.ts). */
  private readonly origin: string;

  constructor(baseUrl: string, origin: string) {
    this.baseUrl = baseUrl;
    this.origin = origin;
  }

  query(cookie: string, calls: Call[]): Promise<Answer> {
    const input = Object.fromEntries(calls.map((call, index) => [String(index), superjson.serialize(call.input)]));
    const url = `${this.baseUrl}/trpc/${calls.map((call) => call.path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
    return this.send(url, { headers: { cookie } }, calls.length);
  }

  mutate(cookie: string, call: Call): Promise<Answer> {
    return this.send(
      `${this.baseUrl}/trpc/${call.path}?batch=1`,
      {
        method: "POST",
        headers: { cookie, origin: this.origin, "content-type": "application/json" },
        body: JSON.stringify({ 0: superjson.serialize(call.input) }),
      },
      1,
    );
  }

  private async send(url: string, init: RequestInit, calls: number): Promise<Answer> {
    const started = performance.now();
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(answerBoundMs) });
      const text = await response.text();
      const ms = performance.now() - started;
      let codes: (string | null)[] = Array.from({ length: calls }, () => null);
      try {
        const body = JSON.parse(text) as Envelope[] | Envelope;
        const envelopes = Array.isArray(body) ? body : [body];
        codes = envelopes.map((envelope) => (envelope.error ? (envelope.error.json?.data?.code ?? "UNKNOWN") : null));
      } catch {
        codes = codes.map(() => `not JSON: ${text.slice(0, 120)}`);
      }
      return { status: response.status, retryAfter: response.headers.get("retry-after"), ms, codes };
    } catch (error) {
      return {
        status: 0,
        retryAfter: null,
        ms: performance.now() - started,
        codes: [],
        failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }
}

/** Latencies and statuses, per phase and procedure. */
export class Stats {
  private readonly latencies = new Map<string, number[]>();
  private readonly statuses = new Map<string, Map<number, number>>();
  /** The first few answers that were neither a result nor an expected refusal. */
  readonly surprises: string[] = [];

  record(phase: string, procedure: string, answer: Answer): void {
    const key = `${phase}\t${procedure}`;
    let times = this.latencies.get(key);
    if (!times) this.latencies.set(key, (times = []));
    times.push(answer.ms);
    let counts = this.statuses.get(phase);
    if (!counts) this.statuses.set(phase, (counts = new Map<number, number>()));
    counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
    const refused = answer.status === 429 || answer.status === 503;
    if (answer.status >= 300 && !refused && this.surprises.length < 10)
      this.surprises.push(
        `${phase} ${procedure}: ${answer.status} ${answer.failure ?? answer.codes.filter(Boolean).join(",")}`,
      );
  }

  /** Status -> count for a phase. */
  statusCounts(phase: string): Map<number, number> {
    return this.statuses.get(phase) ?? new Map<number, number>();
  }

  /** [procedure, calls, p50, p99] for a phase, by procedure name. */
  rows(phase: string): { procedure: string; count: number; p50: number; p99: number }[] {
    const rows = [];
    for (const [key, times] of this.latencies) {
      const [keyPhase, procedure] = key.split("\t");
      if (keyPhase !== phase || procedure === undefined) continue;
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({ procedure, count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) });
    }
    return rows.sort((a, b) => a.procedure.localeCompare(b.procedure));
  }
}
