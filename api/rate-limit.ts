/**
 * A token bucket per caller for the mutating routes: `max` requests at once, refilled at `max` per
 * `windowMs`. In memory, per API process (several processes behind a load balancer each allow
 * `max`; the limit is there to stop a runaway script, not to meter).
 */
import { durationMs } from '../domain/durations.js';

export type RateLimitConfig = {
  /** Bucket size: this many requests in a burst, and this many per window on average. */
  max: number;
  /** The window in milliseconds over which the bucket refills completely. */
  windowMs: number;
};

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { max: 60, windowMs: 60_000 };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

type Bucket = { tokens: number; at: number };

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
    /** Callers remembered at once; the longest idle one is forgotten first (a full bucket either way). */
    private readonly maxKeys = 10_000,
  ) {
    if (!(config.max >= 1) || !(config.windowMs > 0))
      throw new Error(`invalid rate limit ${JSON.stringify(config)}: max ≥ 1 and windowMs > 0`);
    this.perMs = config.max / config.windowMs;
  }

  /** Takes one request from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateDecision {
    const now = this.now();
    const known = this.buckets.get(key);
    const bucket = known
      ? { tokens: Math.min(this.config.max, known.tokens + (now - known.at) * this.perMs), at: now }
      : { tokens: this.config.max, at: now };
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    if (bucket.tokens >= 1) {
      this.buckets.set(key, { tokens: bucket.tokens - 1, at: now });
      return { allowed: true };
    }
    this.buckets.set(key, bucket);
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }
}

/** `60/1m`, `10/30s`, `off`: the `LAUNCH_CONTROL_RATE_LIMIT` syntax. */
export function parseRateLimit(text: string): RateLimitConfig | false {
  const trimmed = text.trim();
  if (/^(off|false|0|none)$/i.test(trimmed)) return false;
  const match = /^(\d{1,9})\s*\/\s*(\S+)$/.exec(trimmed);
  const max = Number(match?.[1]);
  const windowMs = durationMs(match?.[2] ?? '');
  if (!(max >= 1) || !(windowMs > 0))
    throw new Error(
      `LAUNCH_CONTROL_RATE_LIMIT="${text}": expected <requests>/<window> such as 60/1m or 10/30s, or "off"`,
    );
  return { max, windowMs };
}
