import { describe, expect, it } from 'vitest';
import type { AuthorizerPolicy } from '../../functions/core/auth/tokens';
import { cachedAuthorizer } from '../../local/authorizer-cache';

const policy = (principalId: string) => ({ principalId }) as unknown as AuthorizerPolicy;

describe('the local authorizer cache', () => {
  it('calls the authorizer once per token until the TTL ends, and not for a cached token on another path', async () => {
    let clock = 0;
    const calls: string[] = [];
    const authorize = cachedAuthorizer(
      async (token, methodArn) => {
        calls.push(`${token} ${methodArn}`);
        return policy(token);
      },
      300,
      () => clock,
    );
    expect(await authorize('a', 'GET/pods')).toEqual(policy('a'));
    expect(await authorize('a', 'POST/pods')).toEqual(policy('a'));
    await authorize('b', 'GET/pods');
    clock = 300_001;
    await authorize('a', 'GET/nodes');
    expect(calls).toEqual(['a GET/pods', 'b GET/pods', 'a GET/nodes']);
  });

  it('keeps no rejection, so a token granted afterwards works at once', async () => {
    let granted = false;
    const authorize = cachedAuthorizer(async (token) => {
      if (!granted) throw new Error('Unauthorized');
      return policy(token);
    }, 300);
    await expect(authorize('t', 'GET/pods')).rejects.toThrow('Unauthorized');
    granted = true;
    expect(await authorize('t', 'GET/pods')).toEqual(policy('t'));
  });
});
