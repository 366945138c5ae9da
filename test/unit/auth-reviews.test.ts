import fc from 'fast-check';
import type { ResourceAttributes } from 'kubernetes-types/authorization/v1';
import { describe, expect, it } from 'vitest';
import { servedResources } from '../../functions/core/api/auth-reviews';
import {
  decideNonResourceAccess,
  decideResourceAccess,
  requestForResource,
} from '../../functions/core/auth/access';
import {
  authorizerContext,
  type User,
  userFor,
  userFromAuthorizerContext,
} from '../../functions/core/auth/identity';
import { policyAllows, policyFor, type TokenGrant } from '../../functions/core/auth/tokens';
import { apiHarness } from './api-harness';

const alice: TokenGrant = { subject: 'alice', namespaces: ['team-a'] };
const admin: TokenGrant = { subject: 'admin', namespaces: ['*'] };

const can = (grant: TokenGrant, verb: string, resource: string, more: ResourceAttributes = {}) => {
  const [name = '', subresource] = resource.split('/');
  const [plural = '', ...group] = name.split('.');
  return decideResourceAccess(
    grant,
    { verb, resource: plural, group: group.join('.'), ...(subresource ? { subresource } : {}), ...more },
    servedResources,
  );
};

describe('the access decision', () => {
  it('lets a namespaced token do everything podplane serves in its namespace, and nothing in another', () => {
    expect(can(alice, 'create', 'pods', { namespace: 'team-a' })).toMatchObject({ allowed: true });
    expect(can(alice, 'delete', 'pods', { namespace: 'team-a', name: 'web' }).allowed).toBe(true);
    expect(can(alice, 'get', 'pods/log', { namespace: 'team-a', name: 'web' }).allowed).toBe(true);
    expect(can(alice, 'get', 'pods/log', { namespace: 'team-a' }).allowed).toBe(true);
    expect(can(alice, 'list', 'events', { namespace: 'team-a' }).allowed).toBe(true);
    expect(can(alice, 'create', 'pods', { namespace: 'default' })).toEqual({
      allowed: false,
      denied: true,
      reason: 'podplane: the token grant of "alice" covers namespace team-a only, not this request',
    });
    expect(can(alice, 'list', 'pods', { namespace: 'team-ab' }).allowed).toBe(false);
  });

  it('keeps cluster-scoped resources and all-namespace lists closed to a namespaced token', () => {
    expect(can(alice, 'list', 'pods').allowed).toBe(false);
    expect(can(alice, 'list', 'nodes').allowed).toBe(false);
    expect(can(alice, 'get', 'nodes', { name: 'i-1' }).allowed).toBe(false);
    expect(can(alice, 'create', 'namespaces').allowed).toBe(false);
    expect(can(alice, 'list', 'namespaces', { namespace: 'team-a' }).allowed).toBe(false);
    // Its own namespace object, as GET /api/v1/namespaces/team-a.
    expect(can(alice, 'get', 'namespaces', { name: 'team-a' }).allowed).toBe(true);
    expect(can(alice, 'get', 'namespaces', { namespace: 'team-a' }).allowed).toBe(true);
    expect(can(alice, 'get', 'namespaces', { name: 'team-b' }).allowed).toBe(false);
  });

  it('lets a cluster-wide token do everything podplane serves, and says whose grant allowed it', () => {
    expect(can(admin, 'list', 'nodes')).toEqual({
      allowed: true,
      reason: 'podplane: allowed by the token grant of "admin" (every namespace)',
    });
    expect(can(admin, 'create', 'pods', { namespace: 'anything' }).allowed).toBe(true);
    expect(can(admin, '*', '*').allowed).toBe(true);
    expect(can(alice, '*', '*', { namespace: 'team-a' }).allowed).toBe(true);
    expect(can(alice, '*', '*').allowed).toBe(false);
  });

  it('says no, and why, for resources and verbs podplane does not serve, whatever the grant', () => {
    expect(can(admin, 'create', 'deployments.apps', { namespace: 'default' })).toEqual({
      allowed: false,
      reason: 'podplane does not serve deployments.apps',
    });
    expect(can(admin, 'get', 'secrets', { namespace: 'default' }).reason).toBe(
      'podplane does not serve secrets',
    );
    expect(can(admin, 'get', 'pods/exec', { namespace: 'default' }).reason).toBe(
      'podplane does not serve pods/exec',
    );
    expect(can(admin, 'delete', 'nodes', { name: 'i-1' })).toEqual({
      allowed: false,
      reason: 'podplane does not serve "delete" on nodes; it serves get, list, patch, update, watch',
    });
  });

  it('lets every token create its own reviews and read discovery', () => {
    for (const grant of [alice, admin, { subject: 'nobody', namespaces: [] }]) {
      expect(can(grant, 'create', 'selfsubjectaccessreviews.authorization.k8s.io').allowed).toBe(true);
      expect(can(grant, 'create', 'selfsubjectrulesreviews.authorization.k8s.io').allowed).toBe(true);
      expect(can(grant, 'create', 'selfsubjectreviews.authentication.k8s.io').allowed).toBe(true);
      expect(decideNonResourceAccess(grant, { path: '/api', verb: 'get' }).allowed).toBe(true);
      expect(decideNonResourceAccess(grant, { path: '/openapi/v3/api/v1', verb: 'get' }).allowed).toBe(true);
    }
    expect(decideNonResourceAccess(alice, { path: '/metrics', verb: 'get' }).allowed).toBe(false);
    expect(decideNonResourceAccess(admin, { path: '/metrics', verb: 'get' }).allowed).toBe(true);
  });

  it('maps attributes to the request a client sends', () => {
    expect(requestForResource({ verb: 'create', resource: 'pods', namespace: 'team-a' })).toEqual({
      method: 'POST',
      path: '/api/v1/namespaces/team-a/pods',
    });
    expect(
      requestForResource({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'a', name: 'web' }),
    ).toEqual({ method: 'GET', path: '/api/v1/namespaces/a/pods/web/log' });
    expect(
      requestForResource({ verb: 'patch', resource: 'pods', subresource: 'status', namespace: 'a' }),
    ).toEqual({ method: 'PATCH', path: '/api/v1/namespaces/a/pods/*/status' });
    expect(requestForResource({ verb: 'list', resource: 'pods' })).toEqual({
      method: 'GET',
      path: '/api/v1/pods',
    });
    expect(
      requestForResource({
        verb: 'create',
        group: 'authorization.k8s.io',
        resource: 'selfsubjectaccessreviews',
      }),
    ).toEqual({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' });
  });

  it('answers every served resource and verb exactly as the authorizer’s policy answers the request', () => {
    const grants = [alice, admin, { subject: 'bob', namespaces: ['team-a', 'team-b'] }];
    const namespaces = ['', 'team-a', 'team-b', 'default'];
    let compared = 0;
    for (const grant of grants)
      for (const served of servedResources)
        for (const verb of served.verbs)
          for (const namespace of namespaces)
            for (const name of ['', 'team-a', 'web']) {
              const [resource = '', subresource] = served.name.split('/');
              const attributes: ResourceAttributes = {
                verb,
                group: served.group,
                resource,
                namespace,
                name,
                ...(subresource ? { subresource } : {}),
              };
              const request = requestForResource(attributes, served);
              const methodArn = `arn:aws:execute-api:eu-west-1:123456789012:abc123/api/${request.method}${request.path}`;
              const gateway = policyAllows(policyFor(grant, methodArn), methodArn);
              expect(decideResourceAccess(grant, attributes, servedResources).allowed, request.path).toBe(
                gateway,
              );
              compared += 1;
            }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('the caller’s identity', () => {
  it('travels as the authorizer context API Gateway passes on, beside the principalId', () => {
    const context = { principalId: 'alice', integrationLatency: 12, ...authorizerContext(alice) };
    expect(userFromAuthorizerContext(context)).toEqual({
      username: 'alice',
      groups: ['system:authenticated'],
      namespaces: ['team-a'],
    });
    expect(Object.values(authorizerContext({ subject: 'bob', namespaces: ['a', 'b'] }))).toEqual([
      'bob',
      'a,b',
    ]);
    expect(
      userFromAuthorizerContext({
        principalId: 'bob',
        ...authorizerContext({ subject: 'bob', namespaces: ['a', 'b'] }),
      })?.namespaces,
    ).toEqual(['a', 'b']);
  });

  it('is absent where no authorizer ran, and an admin is in system:masters', () => {
    expect(userFromAuthorizerContext(undefined)).toBeUndefined();
    expect(userFromAuthorizerContext(null)).toBeUndefined();
    expect(userFromAuthorizerContext({})).toBeUndefined();
    expect(userFor(admin).groups).toEqual(['system:masters', 'system:authenticated']);
  });
});

describe('the review endpoints', () => {
  const harness = apiHarness();
  /** A review request (POST unless `method` says otherwise) and its JSON answer. */
  const call = async (
    path: string,
    options: { body?: unknown; user?: User; method?: string; contentType?: string; bytes?: Buffer } = {},
  ) => {
    const { method = 'POST', contentType, body, ...rest } = options;
    const response = await harness.call(method, path, {
      ...rest,
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { statusCode: response.statusCode, json: JSON.parse(response.body) };
  };
  const asAlice = userFor(alice);
  const asAdmin = userFor(admin);
  const accessReview = (spec: unknown) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec,
  });

  // The bodies kubectl 1.32 sent to a recording server: `auth whoami`, `auth can-i create pods
  // -n team-a`, `auth can-i get /logs` and `auth can-i --list -n team-a`.
  const kubectlBodies = {
    whoami:
      '6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200',
    canICreatePods:
      '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577123e0a100a0012001a0022002a0032003800420012200a1e0a067465616d2d6112066372656174651a0022002a04706f647332003a001a08080012001a0020001a002200',
    canIGetLogs:
      '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577122c0a100a0012001a0022002a00320038004200120e120c0a052f6c6f677312036765741a08080012001a0020001a002200',
    canIList:
      '6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c657352657669657712220a100a0012001a0022002a0032003800420012080a067465616d2d611a04180022001a002200',
  };
  const protobuf = { contentType: 'application/vnd.kubernetes.protobuf' };

  it('lists the authentication and authorization groups in discovery, with their review resources', async () => {
    const groups = await call('/apis', { method: 'GET' });
    expect(groups.json.groups.map((g: { name: string }) => g.name)).toEqual([
      'authentication.k8s.io',
      'authorization.k8s.io',
      'policy',
    ]);
    expect(groups.json.groups[1].preferredVersion).toEqual({
      groupVersion: 'authorization.k8s.io/v1',
      version: 'v1',
    });
    const authorization = await call('/apis/authorization.k8s.io/v1', { method: 'GET' });
    expect(authorization.json).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'authorization.k8s.io/v1',
      resources: [
        { name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', verbs: ['create'] },
        { name: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', verbs: ['create'] },
      ],
    });
    const authentication = await call('/apis/authentication.k8s.io/v1', { method: 'GET' });
    expect(authentication.json.resources).toMatchObject([{ name: 'selfsubjectreviews', verbs: ['create'] }]);
  });

  it('tells the caller who it is (kubectl auth whoami)', async () => {
    const review = await call('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      ...protobuf,
      bytes: Buffer.from(kubectlBodies.whoami, 'hex'),
      user: asAlice,
    });
    expect(review).toEqual({
      statusCode: 201,
      json: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: {},
        status: {
          userInfo: {
            username: 'alice',
            groups: ['system:authenticated'],
            extra: { 'podplane.dev/namespaces': ['team-a'] },
          },
        },
      },
    });
  });

  it('answers kubectl’s protobuf access reviews from the caller’s grant', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const create = await call(path, {
      ...protobuf,
      bytes: Buffer.from(kubectlBodies.canICreatePods, 'hex'),
      user: asAlice,
    });
    expect(create.statusCode).toBe(201);
    expect(create.json).toMatchObject({
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'team-a', verb: 'create', resource: 'pods' } },
      status: { allowed: true },
    });
    const logs = await call(path, {
      ...protobuf,
      bytes: Buffer.from(kubectlBodies.canIGetLogs, 'hex'),
      user: asAlice,
    });
    expect(logs.json).toMatchObject({
      spec: { nonResourceAttributes: { path: '/logs', verb: 'get' } },
      status: { allowed: false, denied: true },
    });
  });

  it('answers JSON access reviews too', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const review = await call(path, {
      body: accessReview({ resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } }),
      user: asAlice,
    });
    expect(review.json.status).toMatchObject({ allowed: false, denied: true });
    const asAdminReview = await call(path, {
      body: accessReview({ resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } }),
      user: asAdmin,
    });
    expect(asAdminReview.json.status.allowed).toBe(true);
  });

  it('refuses a review without exactly one kind of attributes, as kube-apiserver does', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const neither = await call(path, { body: accessReview({}), user: asAlice });
    expect(neither.statusCode).toBe(422);
    expect(neither.json).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      message:
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      details: { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io' },
    });
    expect(neither.json.details.causes).toEqual([
      {
        field: 'spec.resourceAttributes',
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      },
    ]);
    const both = await call(path, {
      body: accessReview({ resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/api' } }),
      user: asAlice,
    });
    expect(both.statusCode).toBe(422);
    expect(both.json.message).toContain(
      'spec.nonResourceAttributes: Invalid value: {"path":"/api"}: cannot be specified in combination with resourceAttributes',
    );
    const noSpec = await call(path, { body: { kind: 'SelfSubjectAccessReview' }, user: asAlice });
    expect(noSpec.statusCode).toBe(422);
    const wrongKind = await call(path, { body: { kind: 'Pod', spec: {} }, user: asAlice });
    expect(wrongKind.statusCode).toBe(400);
  });

  it('decodes a review with its Go types: a verb that is not a string is a 400', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const typed = await call(path, {
      body: accessReview({ resourceAttributes: { verb: 5 } }),
      user: asAlice,
    });
    expect(typed.statusCode).toBe(400);
    expect(typed.json.message).toBe(
      'SelfSubjectAccessReview in version "authorization.k8s.io/v1" cannot be handled as a SelfSubjectAccessReview: json: cannot unmarshal number 5 into Go struct field ResourceAttributes.spec.resourceAttributes.verb of type string',
    );
  });

  it('lists what the grant allows in a namespace (kubectl auth can-i --list)', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
    const team = await call(path, {
      ...protobuf,
      bytes: Buffer.from(kubectlBodies.canIList, 'hex'),
      user: asAlice,
    });
    expect(team.statusCode).toBe(201);
    expect(team.json.spec).toEqual({ namespace: 'team-a' });
    const rules = team.json.status.resourceRules as {
      resources: string[];
      verbs: string[];
      resourceNames?: string[];
    }[];
    expect(rules).toContainEqual({
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      apiGroups: [''],
      resources: ['pods'],
    });
    // Its own namespace object, by name: read, label (patch, update) and delete it.
    expect(rules).toContainEqual({
      verbs: ['delete', 'get', 'patch', 'update'],
      apiGroups: [''],
      resources: ['namespaces'],
      resourceNames: ['team-a'],
    });
    expect(rules.map((rule) => rule.resources[0])).not.toContain('nodes');
    expect(rules.map((rule) => rule.resources[0])).toContain('selfsubjectaccessreviews');
    expect(team.json.status.nonResourceRules[0].nonResourceURLs).toContain('/api');
    expect(team.json.status.incomplete).toBe(false);

    const elsewhere = await call(path, { body: { spec: { namespace: 'default' } }, user: asAlice });
    expect(
      (elsewhere.json.status.resourceRules as { resources: string[] }[]).map((rule) => rule.resources[0]),
    ).toEqual(['selfsubjectreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

    const everything = await call(path, { body: { spec: { namespace: 'default' } }, user: asAdmin });
    expect(everything.json.status.resourceRules).toContainEqual({
      verbs: ['get', 'list', 'patch', 'update', 'watch'],
      apiGroups: [''],
      resources: ['nodes'],
    });
  });

  it('answers arbitrary bodies, JSON or protobuf, with a review or a 4xx Status, never a 500', async () => {
    const paths = [
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.jsonValue().map((value) => ({ body: value })),
          fc.record({ spec: fc.jsonValue() }).map((value) => ({ body: value })),
          fc
            .uint8Array({ maxLength: 120 })
            .map((bytes) => ({ bytes: Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes]), ...protobuf })),
          fc
            .tuple(
              fc.constantFrom(...Object.values(kubectlBodies)),
              fc.nat(200),
              fc.integer({ min: 0, max: 255 }),
            )
            .map(([hex, at, byte]) => {
              const bytes = Buffer.from(hex, 'hex');
              bytes[4 + (at % (bytes.length - 4))] = byte;
              return { bytes, ...protobuf };
            }),
        ),
        async (path, body) => {
          const { statusCode } = await call(path, { ...body, user: asAlice });
          expect([201, 400, 415, 422]).toContain(statusCode);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers 401 when no authorizer named a caller, and 405 for anything but create', async () => {
    expect((await call('/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: {} })).statusCode).toBe(
      401,
    );
    expect(
      (await call('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'GET', user: asAlice }))
        .statusCode,
    ).toBe(405);
  });
});
