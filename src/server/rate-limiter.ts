import type { Clock } from '../platform/clock.ts';

export interface RateLimiter {
  /** Takes `cost` tokens for `key`; when there are not enough, says how long to wait. */
  take(key: string, cost: number): { ok: true } | { ok: false; retryAfterSeconds: number };
}

/**
 * Token buckets per key (workspace), refilled continuously at `perSecond` up to `burst`. Kept in
 * memory: each API process enforces the limit on what it receives.
 */
export function createRateLimiter({ perSecond, burst, clock }: { perSecond: number; burst: number; clock: Clock }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, cost) {
      const now = clock.now().getTime();
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / perSecond)) };
    },
  };
}
