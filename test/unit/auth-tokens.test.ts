import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  grantAllows,
  policyAllows,
  policyFor,
  tokenHash,
} from '../../functions/core/auth/tokens';

const arn = (method: string, path: string) =>
  `arn:aws:execute-api:eu-west-1:123456789012:abc123/api/${method}${path}`;

describe('bearer tokens', () => {
  it('reads the token from an Authorization header, and nothing else', () => {
    expect(bearerToken('Bearer s3cr3t')).toBe('s3cr3t');
    expect(bearerToken('bearer s3cr3t ')).toBe('s3cr3t');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('stores a SHA-256 of the token, never the token', () => {
    expect(tokenHash('s3cr3t')).toBe('4e738ca5563c06cfd0018299933d58db1dd8bf97f6973dc99bf6cdc64b5550bd');
    expect(tokenHash('s3cr3t')).not.toContain('s3cr3t');
  });
});

describe('the authorizer policy', () => {
  const team = policyFor(
    { subject: 'alice', namespaces: ['team-a'] },
    arn('GET', '/api/v1/namespaces/team-a/pods'),
  );
  const admin = policyFor({ subject: 'admin', namespaces: ['*'] }, arn('GET', '/api'));

  it('opens a namespaced token’s own namespaces, with any verb', () => {
    expect(team.principalId).toBe('alice');
    expect(policyAllows(team, arn('GET', '/api/v1/namespaces/team-a/pods'))).toBe(true);
    expect(policyAllows(team, arn('POST', '/api/v1/namespaces/team-a/pods'))).toBe(true);
    expect(policyAllows(team, arn('DELETE', '/api/v1/namespaces/team-a/pods/web'))).toBe(true);
    expect(policyAllows(team, arn('GET', '/api/v1/namespaces/team-a'))).toBe(true);
  });

  it('keeps other namespaces and cluster-scoped resources closed to it, but not discovery', () => {
    expect(policyAllows(team, arn('GET', '/api/v1/namespaces/team-b/pods'))).toBe(false);
    expect(policyAllows(team, arn('GET', '/api/v1/namespaces/team-ab/pods'))).toBe(false);
    expect(policyAllows(team, arn('GET', '/api/v1/nodes'))).toBe(false);
    expect(policyAllows(team, arn('GET', '/api/v1/pods'))).toBe(false);
    expect(policyAllows(team, arn('POST', '/api/v1/namespaces'))).toBe(false);
    expect(policyAllows(team, arn('GET', '/api'))).toBe(true);
    expect(policyAllows(team, arn('GET', '/openapi/v3/api/v1'))).toBe(true);
    expect(policyAllows(team, arn('GET', '/apis/authorization.k8s.io/v1'))).toBe(true);
  });

  it('lets every token ask about itself: the self-reviews, and no other authorization paths', () => {
    expect(policyAllows(team, arn('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews'))).toBe(true);
    expect(policyAllows(team, arn('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'))).toBe(
      true,
    );
    expect(policyAllows(team, arn('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews'))).toBe(
      true,
    );
    expect(policyAllows(team, arn('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews'))).toBe(false);
  });

  it('carries the grant to the apiserver in its context, as strings', () => {
    expect(team.context).toEqual({ subject: 'alice', namespaces: 'team-a' });
  });

  it('decides a request for a grant exactly as the policy does', () => {
    const alice = { subject: 'alice', namespaces: ['team-a'] };
    for (const [method, path] of [
      ['GET', '/api/v1/namespaces/team-a/pods'],
      ['GET', '/api/v1/namespaces/team-b/pods'],
      ['DELETE', '/api/v1/nodes/i-1'],
      ['GET', '/apis'],
    ] as const)
      expect(grantAllows(alice, { method, path })).toBe(policyAllows(team, arn(method, path)));
  });

  it('opens everything to a cluster-wide token', () => {
    expect(policyAllows(admin, arn('GET', '/api/v1/nodes'))).toBe(true);
    expect(policyAllows(admin, arn('DELETE', '/api/v1/namespaces/team-b'))).toBe(true);
  });

  it('is scoped to the API and stage of the request, so a cached policy opens nothing elsewhere', () => {
    expect(
      policyAllows(admin, 'arn:aws:execute-api:eu-west-1:123456789012:other99/api/GET/api/v1/nodes'),
    ).toBe(false);
  });
});
