// The global sending rate (TIERLINE_MAIL_PER_SECOND): a token bucket holding at most one
// second's worth of messages. take() waits for a token instead of refusing, so a burst of
// notifications is queued and spread out, never dropped.
import { setTimeout as delay } from 'node:timers/promises';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => delay(ms),
  ) {
    if (!(perSecond > 0)) throw new Error('the rate must be positive');
    this.tokens = Math.max(1, perSecond);
    this.last = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  /** Resolves once a message may be sent; returns how long it waited (ms). */
  async take(): Promise<number> {
    let waited = 0;
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return waited;
      }
      const ms = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
      await this.sleep(ms);
      waited += ms;
    }
  }
}
