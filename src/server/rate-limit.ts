/**
 * A token bucket per connection: a burst is fine (a stimulus script sending its schedule at once),
 * a flood is not. Generous by default: a scanner pushes a few volumes a second, and a replay at
 * full speed a few hundred.
 */
export interface RateLimitOptions {
  /** Messages per second, sustained. */
  readonly perSecond: number;
  /** Messages that may arrive at once. */
  readonly burst: number;
}

export const defaultRateLimit: RateLimitOptions = { perSecond: 1000, burst: 2000 };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = options.burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((t - this.last) / 1000) * this.options.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
