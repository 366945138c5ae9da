import { afterEach, describe, expect, it, vi } from 'vitest';
import { LookupTimeout, SharedLookups } from '../../functions/adapters/ecs/shared-lookups';

afterEach(() => {
  vi.useRealTimers();
});

describe('SharedLookups', () => {
  it('shares a running lookup, keeps its answer, and forgets a failed one', async () => {
    const lookups = new SharedLookups<string>(1000);
    let calls = 0;
    const lookUp = async () => {
      calls++;
      return 'arn:td:1';
    };
    expect(await Promise.all([lookups.get('web', lookUp), lookups.get('web', lookUp)])).toEqual([
      'arn:td:1',
      'arn:td:1',
    ]);
    expect(await lookups.get('web', lookUp)).toBe('arn:td:1');
    expect(calls).toBe(1);

    await expect(lookups.get('db', async () => Promise.reject(new Error('ServerException')))).rejects.toThrow(
      'ServerException',
    );
    expect(await lookups.get('db', async () => 'arn:td:2')).toBe('arn:td:2');
  });

  it('lets no lookup that never returns hold up later callers past their wait', async () => {
    vi.useFakeTimers();
    const lookups = new SharedLookups<string>(1000);
    const stuck = lookups.get('web', () => new Promise<string>(() => undefined));
    const waiting = lookups.get('web', async () => 'unused');
    vi.advanceTimersByTime(1000);
    await expect(stuck).rejects.toBeInstanceOf(LookupTimeout);
    await expect(waiting).rejects.toBeInstanceOf(LookupTimeout);
    // The stuck lookup is forgotten: the next caller looks up afresh.
    expect(await lookups.get('web', async () => 'arn:td:3')).toBe('arn:td:3');
  });
});
