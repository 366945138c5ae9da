import type { SelfSubjectReview } from 'kubernetes-types/authentication/v1';
import type {
  NonResourceAttributes,
  NonResourceRule,
  ResourceAttributes,
  ResourceRule as ResourceRuleAsTyped,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectRulesReviewStatus,
} from 'kubernetes-types/authorization/v1';
import { decideNonResourceAccess, decideResourceAccess, type ServedResource } from '../auth/access';
import { grantOf, type User, userInfoFor } from '../auth/identity';
import type { TokenGrant } from '../auth/tokens';
import { ApiError, badRequest, unauthorized } from '../errors';
import { parseObjectBody } from './body';
import { admitFields } from './decode';
import { servedGroupVersions } from './discovery';
import { type ApiRequest, type ApiResponse, json } from './http';

/**
 * The reviews `kubectl auth` sends: who am I (SelfSubjectReview), may I (SelfSubjectAccessReview)
 * and what may I (SelfSubjectRulesReview). Each answers for the caller the authorizer named, from
 * its token grant; none is stored. Any authenticated token may create them.
 */

/**
 * kubernetes-types 1.30 has no `verbs` or `resources` on ResourceRule (upstream's description of
 * `resources` holds a star-slash, which seems to have cut its generator short); k8s.io/api has.
 */
type ResourceRule = ResourceRuleAsTyped & { verbs: string[]; resources?: string[] };

/** Every resource podplane serves, from discovery, so a review knows what it could not serve. */
export const servedResources: readonly ServedResource[] = servedGroupVersions.flatMap(
  ({ group, version, resources }) =>
    resources.resources.map((resource) => ({
      group,
      version,
      name: resource.name,
      namespaced: resource.namespaced,
      verbs: resource.verbs,
    })),
);

/** The non-resource URLs podplane serves (discovery, schema, health), for a rules review. */
const servedNonResourceUrls = [
  '/api',
  '/apis',
  ...servedGroupVersions.map(({ group, version }) =>
    group ? `/apis/${group}/${version}` : `/api/${version}`,
  ),
  '/openapi/v3',
  '/openapi/v3/*',
  '/version',
  '/healthz',
  '/livez',
  '/readyz',
];

function caller(request: ApiRequest): User {
  // Only a public path reaches the apiserver without an authorizer, and these are not public.
  if (!request.user) throw unauthorized();
  return request.user;
}

/**
 * The review in the body (JSON or YAML, or the protobuf kubectl's typed clients send), decoded
 * with its Go types like every other body: a wrong type is apiserver's 400 before anything reads it.
 */
function reviewBody<K extends 'SelfSubjectAccessReview' | 'SelfSubjectRulesReview'>(
  request: ApiRequest,
  kind: K,
) {
  const body = parseObjectBody(request);
  if (body.kind !== undefined && body.kind !== kind)
    throw badRequest(`the kind ${JSON.stringify(body.kind)} does not match the resource; expected ${kind}`);
  const decoded = admitFields(kind, body, { ...request, query: {} }).object;
  return decoded as unknown as K extends 'SelfSubjectAccessReview'
    ? SelfSubjectAccessReview
    : SelfSubjectRulesReview;
}

/** `kubectl auth whoami`: the caller's username, groups and (as extra) the namespaces it may use. */
export function createSelfSubjectReview(request: ApiRequest): ApiResponse {
  const user = caller(request);
  const review: SelfSubjectReview = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: {},
    status: { userInfo: userInfoFor(user) },
  };
  return json(201, review);
}

/** 422 as kube-apiserver's ValidateSelfSubjectAccessReviewSpec words it. */
function invalidAccessReview(field: string, value: unknown, message: string): ApiError {
  const detail = `Invalid value: ${JSON.stringify(value === undefined ? 'null' : value)}: ${message}`;
  return new ApiError(
    422,
    'Invalid',
    `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: ${field}: ${detail}`,
    {
      name: '',
      group: 'authorization.k8s.io',
      kind: 'SelfSubjectAccessReview',
      causes: [{ field, reason: 'FieldValueInvalid', message: detail }],
    },
  );
}

/** `kubectl auth can-i VERB RESOURCE`: whether the caller's grant allows one request. */
export function createSelfSubjectAccessReview(request: ApiRequest): ApiResponse {
  const grant = grantOf(caller(request));
  const { spec } = reviewBody(request, 'SelfSubjectAccessReview');
  const resourceObject = spec?.resourceAttributes;
  const nonResourceObject = spec?.nonResourceAttributes;
  if (resourceObject && nonResourceObject)
    throw invalidAccessReview(
      'spec.nonResourceAttributes',
      nonResourceObject,
      'cannot be specified in combination with resourceAttributes',
    );
  if (!resourceObject && !nonResourceObject)
    throw invalidAccessReview(
      'spec.resourceAttributes',
      undefined,
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  let review: SelfSubjectAccessReview;
  if (resourceObject) {
    const resourceAttributes: ResourceAttributes = resourceObject;
    review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes },
      status: decideResourceAccess(grant, resourceAttributes, servedResources),
    };
  } else {
    const nonResourceAttributes: NonResourceAttributes = nonResourceObject ?? {};
    review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { nonResourceAttributes },
      status: decideNonResourceAccess(grant, nonResourceAttributes),
    };
  }
  return json(201, review);
}

/**
 * What a grant allows in a namespace, as rules: each served resource with the verbs the access
 * decision allows for it (so the list and `can-i` cannot disagree), and the non-resource URLs it
 * may get. A namespaced grant may also get and delete its namespace object by name.
 */
export function rulesFor(grant: TokenGrant, namespace: string): SubjectRulesReviewStatus {
  const resourceRules: ResourceRule[] = [];
  for (const served of servedResources) {
    const [resource = '', subresource] = served.name.split('/');
    const allowedVerbs = (attributes: ResourceAttributes) =>
      served.verbs.filter(
        (verb) =>
          decideResourceAccess(
            grant,
            { ...attributes, verb, group: served.group, resource, ...(subresource ? { subresource } : {}) },
            servedResources,
          ).allowed,
      );
    const verbs = allowedVerbs({ namespace: served.namespaced ? namespace : '' });
    if (verbs.length > 0) resourceRules.push({ verbs, apiGroups: [served.group], resources: [served.name] });
    if (served.group === '' && served.name === 'namespaces' && namespace) {
      const byName = allowedVerbs({ name: namespace }).filter((verb) => !verbs.includes(verb));
      if (byName.length > 0)
        resourceRules.push({
          verbs: byName,
          apiGroups: [''],
          resources: ['namespaces'],
          resourceNames: [namespace],
        });
    }
  }
  const urls = servedNonResourceUrls.filter(
    (path) => decideNonResourceAccess(grant, { path, verb: 'get' }).allowed,
  );
  const nonResourceRules: NonResourceRule[] =
    urls.length > 0 ? [{ verbs: ['get'], nonResourceURLs: urls }] : [];
  return { resourceRules, nonResourceRules, incomplete: false };
}

/** `kubectl auth can-i --list`: everything the caller's grant allows in a namespace. */
export function createSelfSubjectRulesReview(request: ApiRequest): ApiResponse {
  const grant = grantOf(caller(request));
  const namespace = reviewBody(request, 'SelfSubjectRulesReview').spec?.namespace;
  const spec = namespace === undefined ? {} : { namespace };
  const review: SelfSubjectRulesReview = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec,
    status: rulesFor(grant, spec.namespace ?? ''),
  };
  return json(201, review);
}
