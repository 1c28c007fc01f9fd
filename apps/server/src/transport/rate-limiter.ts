/**
 * Per-socket, per-event token buckets that allocate nothing per event. Each socket holds one
 * Float64Array (made on its first event) with four slots per event: tokens, last refill,
 * and the same pair for the flood bucket that decides when a socket is cut off.
 */
import type { RateLimitRule } from '../config.js';

const SLOTS = 4;

export type RateDecision =
  /** Allowed. */
  | 0
  /** Refused; `retryAfterMs` tells when a token will be there. */
  | 1
  /** Refused, and the socket has flooded far past its allowance: disconnect it. */
  | 2;

export interface RateLimitState {
  buckets: Float64Array | null;
}

export class RateLimiter {
  private readonly rates: Float64Array;
  private readonly bursts: Float64Array;
  private readonly floodCapacity: Float64Array;
  private readonly floodRates: Float64Array;
  /** Set by the last refused `take`. */
  retryAfterMs = 0;

  /**
   * @param rules one rule per event index
   * @param floodFactor a socket that keeps sending at this many times its rate is cut off
   */
  constructor(
    rules: readonly RateLimitRule[],
    floodFactor: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.rates = Float64Array.from(rules, (rule) => rule.ratePerSec / 1000);
    this.bursts = Float64Array.from(rules, (rule) => rule.burst);
    // The flood bucket loses a token per refusal and refills at half the flood rate: a socket
    // sending at `floodFactor` times its rate drains it in a few seconds, one at 2x never does.
    this.floodCapacity = Float64Array.from(rules, (rule) => Math.max(rule.burst, rule.ratePerSec * floodFactor));
    this.floodRates = Float64Array.from(rules, (rule) => (rule.ratePerSec * floodFactor) / 2 / 1000);
  }

  get size(): number {
    return this.rates.length;
  }

  take(state: RateLimitState, index: number): RateDecision {
    const now = this.now();
    let buckets = state.buckets;
    if (buckets === null) {
      buckets = state.buckets = new Float64Array(this.rates.length * SLOTS);
      for (let i = 0; i < this.rates.length; i++) {
        buckets[i * SLOTS] = this.bursts[i]!;
        buckets[i * SLOTS + 1] = now;
        buckets[i * SLOTS + 2] = this.floodCapacity[i]!;
        buckets[i * SLOTS + 3] = now;
      }
    }
    const base = index * SLOTS;
    const rate = this.rates[index]!;
    const tokens = Math.min(this.bursts[index]!, buckets[base]! + (now - buckets[base + 1]!) * rate);
    buckets[base + 1] = now;
    if (tokens >= 1) {
      buckets[base] = tokens - 1;
      return 0;
    }
    buckets[base] = tokens;
    this.retryAfterMs = Math.ceil((1 - tokens) / rate);
    const flood = Math.min(this.floodCapacity[index]!, buckets[base + 2]! + (now - buckets[base + 3]!) * this.floodRates[index]!) - 1;
    buckets[base + 2] = flood;
    buckets[base + 3] = now;
    return flood < 0 ? 2 : 1;
  }
}

/**
 * A token bucket per key, on this node only (presence ids, Engine.IO opens per address): `ratePerSec`, bursts of `burstSeconds` worth. A
 * bucket untouched for `burstSeconds` is full again, i.e. the same as none, so once `maxKeys`
 * keys hold one, the idle ones are dropped; busy keys keep theirs.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burstSeconds: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.capacity = ratePerSec * burstSeconds;
  }

  /**
   * Takes `cost` tokens for `key` (at most a full bucket); returns the ms until they are
   * there when refused (taking nothing), else 0.
   */
  take(key: string, cost = 1): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSec);
    bucket.at = now;
    const needed = Math.min(cost, this.capacity);
    if (bucket.tokens < needed) return Math.ceil(((needed - bucket.tokens) / this.ratePerSec) * 1000);
    bucket.tokens -= needed;
    return 0;
  }

  /** Keys holding a bucket. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= this.burstSeconds * 1000) this.buckets.delete(key);
    }
  }
}
