import type {
  NonResourceAttributes,
  ResourceAttributes,
  SubjectAccessReviewStatus,
} from 'kubernetes-types/authorization/v1';
import { grantAllows, type RequestTarget, type TokenGrant } from './tokens';

/** A resource (or `resource/subresource`) podplane serves, as discovery lists it. */
export interface ServedResource {
  /** `""` for the core group. */
  readonly group: string;
  readonly version: string;
  /** `pods`, or `pods/log` for a subresource. */
  readonly name: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

/** The HTTP method a Kubernetes verb is sent with (`*`, any verb: any method). */
export function methodForVerb(verb: string): string {
  switch (verb) {
    case 'get':
    case 'list':
    case 'watch':
      return 'GET';
    case 'create':
      return 'POST';
    case 'update':
      return 'PUT';
    case 'patch':
      return 'PATCH';
    case 'delete':
    case 'deletecollection':
      return 'DELETE';
    default:
      return verb === '*' ? '*' : verb.toUpperCase();
  }
}

/** Verbs that act on a collection: their request goes to the collection's path, not an item's. */
const collectionVerbs = new Set(['create', 'list', 'watch', 'deletecollection']);

/**
 * The request a client would send for resource attributes, e.g. `create pods` in `team-a` is
 * `POST /api/v1/namespaces/team-a/pods`. An item without a name is `*` (any name). A namespace
 * object's namespace is its own name, as in the attributes kube-apiserver derives from
 * `/api/v1/namespaces/team-a`.
 */
export function requestForResource(attributes: ResourceAttributes, served?: ServedResource): RequestTarget {
  const group = attributes.group === '*' ? '' : (attributes.group ?? '');
  const version = attributes.version || served?.version || 'v1';
  const resource = attributes.resource || '*';
  const namespace = attributes.namespace ?? '';
  const subresource = attributes.subresource ?? '';
  const verb = attributes.verb || '*';
  const namespaced = served ? served.namespaced : namespace !== '';
  const namespaceObject = group === '' && resource === 'namespaces';
  const name =
    collectionVerbs.has(verb) && !subresource ? '' : attributes.name || (namespaceObject ? namespace : '');
  const segments = [
    group === '' ? '/api/v1' : `/apis/${group}/${version}`,
    namespaced && namespace ? `/namespaces/${namespace}` : '',
    `/${resource}`,
    name || subresource ? `/${name || '*'}` : '',
    subresource ? `/${subresource}` : '',
  ];
  return { method: methodForVerb(verb), path: segments.join('') };
}

/** The request a client would send for non-resource attributes, e.g. `get /version`. */
export function requestForNonResource(attributes: NonResourceAttributes): RequestTarget {
  const path = attributes.path ?? '';
  return { method: methodForVerb(attributes.verb || '*'), path: path.startsWith('/') ? path : `/${path}` };
}

/** `pods`, `pods/log`, `deployments.apps`: a resource as kubectl names it. */
function qualifiedName(attributes: ResourceAttributes): string {
  const resource = attributes.subresource
    ? `${attributes.resource ?? ''}/${attributes.subresource}`
    : (attributes.resource ?? '');
  return attributes.group ? `${resource}.${attributes.group}` : resource;
}

function grantDecision(grant: TokenGrant, request: RequestTarget): SubjectAccessReviewStatus {
  const scope = grant.namespaces.includes('*')
    ? 'every namespace'
    : `namespace${grant.namespaces.length === 1 ? '' : 's'} ${grant.namespaces.join(', ') || '(none)'}`;
  return grantAllows(grant, request)
    ? { allowed: true, reason: `podplane: allowed by the token grant of "${grant.subject}" (${scope})` }
    : {
        allowed: false,
        denied: true,
        reason: `podplane: the token grant of "${grant.subject}" covers ${scope} only, not this request`,
      };
}

/** The resource attributes name a served resource, `*` standing for any. */
export function findServed(
  attributes: ResourceAttributes,
  served: readonly ServedResource[],
): ServedResource | undefined {
  const name = attributes.subresource
    ? `${attributes.resource ?? ''}/${attributes.subresource}`
    : (attributes.resource ?? '');
  return served.find(
    (candidate) =>
      candidate.group === (attributes.group ?? '') &&
      (!attributes.version || candidate.version === attributes.version) &&
      candidate.name === name,
  );
}

/**
 * A SelfSubjectAccessReview's answer for resource attributes: no for a resource or verb podplane
 * does not serve (whatever the grant says, the request could only fail), otherwise what the
 * token's grant decides for the equivalent request (see grantAllows).
 */
export function decideResourceAccess(
  grant: TokenGrant,
  attributes: ResourceAttributes,
  served: readonly ServedResource[],
): SubjectAccessReviewStatus {
  const wildcard = attributes.resource === '*' || attributes.group === '*';
  const resource = wildcard ? undefined : findServed(attributes, served);
  if (!wildcard && !resource)
    return { allowed: false, reason: `podplane does not serve ${qualifiedName(attributes)}` };
  const verb = attributes.verb || '*';
  if (resource && verb !== '*' && !resource.verbs.includes(verb))
    return {
      allowed: false,
      reason: `podplane does not serve "${verb}" on ${qualifiedName(attributes)}; it serves ${resource.verbs.join(', ')}`,
    };
  return grantDecision(grant, requestForResource(attributes, resource));
}

/** A SelfSubjectAccessReview's answer for a non-resource URL: what the grant decides for it. */
export function decideNonResourceAccess(
  grant: TokenGrant,
  attributes: NonResourceAttributes,
): SubjectAccessReviewStatus {
  return grantDecision(grant, requestForNonResource(attributes));
}
