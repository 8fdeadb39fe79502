// A token bucket per client and route group, in this process's memory. With more than one
// instance each keeps its own buckets, so the effective limit multiplies: behind a load balancer,
// move the buckets to a shared store (Redis, or PostgreSQL) or limit at the proxy.

export interface RateLimit {
  /** Requests allowed in a burst. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Beyond this many buckets, full ones (idle clients) are dropped so memory stays bounded. */
const sweepAbove = 10_000;

export class RateLimiter {
  private readonly limit: RateLimit;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, now: () => number = () => Date.now()) {
    this.limit = limit;
    this.now = now;
    if (limit.burst < 1 || limit.perSecond <= 0)
      throw new RangeError("a rate limit needs a burst >= 1 and a positive refill rate");
  }

  /** Takes one token for `key`, or says how long until one is back. */
  take(key: string): RateDecision {
    const now = this.now();
    const bucket = this.refilled(this.buckets.get(key), now);
    if (bucket.tokens >= 1) {
      this.buckets.set(key, { tokens: bucket.tokens - 1, updatedAt: now });
      if (this.buckets.size > sweepAbove) this.sweep(now);
      return { allowed: true };
    }
    this.buckets.set(key, bucket);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond)) };
  }

  private refilled(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.limit.burst, updatedAt: now };
    const tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.limit.perSecond);
    return { tokens, updatedAt: now };
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now).tokens >= this.limit.burst) this.buckets.delete(key);
    }
  }
}
