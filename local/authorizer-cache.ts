import type { AuthorizerPolicy } from '../functions/core/auth/tokens';

type Authorize = (authorizationToken: string, methodArn: string) => Promise<AuthorizerPolicy>;

/**
 * API Gateway's authorizer result cache: a policy is kept per token for `cacheSeconds` and
 * applied to every method, so the authorizer runs once per token and TTL, not per request. A
 * rejection (401) is not kept, so a token granted a moment later works at once.
 */
export function cachedAuthorizer(authorize: Authorize, cacheSeconds: number, now = Date.now): Authorize {
  const cache = new Map<string, { policy: AuthorizerPolicy; expiresAt: number }>();
  return async (token, methodArn) => {
    const hit = cache.get(token);
    if (hit && hit.expiresAt > now()) return hit.policy;
    const policy = await authorize(token, methodArn);
    cache.set(token, { policy, expiresAt: now() + cacheSeconds * 1000 });
    return policy;
  };
}
