import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../functions/adapters/ecs/rate-limit';

describe('the RunTask token bucket', () => {
  it('grants the burst at once, then refuses callers that cannot wait for the refill', async () => {
    const bucket = new TokenBucket(2, 1);
    expect(await bucket.take(0)).toBe(true);
    expect(await bucket.take(0)).toBe(true);
    // The next token is a second away: a caller that can wait 10 ms must retry later.
    expect(await bucket.take(10)).toBe(false);
  });

  it('makes a caller that can wait get the next token once it has refilled', async () => {
    const bucket = new TokenBucket(1, 50);
    expect(await bucket.take(0)).toBe(true);
    const started = Date.now();
    expect(await bucket.take(1000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});
