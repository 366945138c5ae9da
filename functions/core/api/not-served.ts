import { ApiError } from '../errors';
import { servedGroupVersions } from './discovery';

/** Everything podplane serves, as `kubectl api-resources` would name it. */
const served = servedGroupVersions
  .flatMap(({ group, resources }) =>
    resources.resources
      .filter((resource) => !resource.name.includes('/'))
      .map((resource) => (group ? `${resource.name}.${group}` : resource.name)),
  )
  .join(', ');

const resourcePath =
  /^\/(?:api\/(?<coreVersion>v1)|apis\/(?<group>[^/]+)\/(?<version>[^/]+))(?:\/namespaces\/[^/]+)?\/(?<resource>[^/]+)(?:\/[^/]+\/(?<subresource>[^/]+))?/;

/**
 * The 404 for a path no route serves. kube-apiserver says only "the server could not find the
 * requested resource"; podplane serves a few resources of a whole cluster's worth, so it adds
 * which resource it does not serve and what it does, and kubectl prints that for `kubectl create
 * deployment` and the like.
 */
export function notServed(path: string): ApiError {
  const generic = 'the server could not find the requested resource';
  const match = resourcePath.exec(path);
  if (!match?.groups) return new ApiError(404, 'NotFound', generic);
  const { group = '', resource = '', subresource } = match.groups;
  const name = `${resource}${subresource ? `/${subresource}` : ''}${group ? `.${group}` : ''}`;
  return new ApiError(404, 'NotFound', `${generic}: podplane does not serve ${name}; it serves ${served}`, {
    ...(group ? { group } : {}),
    kind: resource,
  });
}
