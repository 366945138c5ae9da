/**
 * A token bucket in front of RunTask. ECS allows 100 calls in a burst and 20 per second after
 * that; calling faster only earns ThrottlingExceptions and retries. Waiting for a token here turns
 * a burst of pods into a steady 20 launches a second with nothing thrown away.
 */
export class TokenBucket {
  private tokens: number;
  private updated = Date.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  /**
   * Takes one token, waiting up to `maxWaitMs`; false when none comes in time (the caller
   * should retry later rather than wait out its own deadline). Waiters are served in order.
   */
  take(maxWaitMs: number): Promise<boolean> {
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        const wait = ((1 - this.tokens) / this.perSecond) * 1000;
        if (wait > maxWaitMs) return false;
        await new Promise((resolve) => setTimeout(resolve, wait));
        this.refill();
      }
      this.tokens -= 1;
      return true;
    });
    this.queue = turn.then(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) / 1000) * this.perSecond);
    this.updated = now;
  }
}
