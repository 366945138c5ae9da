import { createHash } from 'node:crypto';
import generated from './openapi-v1.generated.json' with { type: 'json' };

/**
 * The OpenAPI v3 document for core/v1. Its schemas (`openapi-v1.generated.json`, made by
 * `scripts/generate-openapi.ts` from the `kubernetes-types` package) are what `kubectl explain`
 * reads. Its paths are what kubectl's other commands look at: finding a PATCH operation of the
 * kind with a `fieldValidation` parameter, kubectl leaves schema validation to the server
 * (fieldValidation=Strict) instead of checking a schema itself. The PATCH operations declare no
 * request body, so `kubectl apply` does not build its strategic merge patches from these schemas
 * (they carry no patch merge keys) but from the types compiled into kubectl, as before.
 */

const gvk = (kind: string) => ({ group: '', version: 'v1', kind });
const fieldValidation = {
  name: 'fieldValidation',
  in: 'query',
  description: 'How the server treats unknown or duplicate fields: Ignore, Warn or Strict.',
  schema: { type: 'string', uniqueItems: true },
};
const objectResponse = (kind: string) => ({
  '200': {
    description: 'OK',
    content: { 'application/json': { schema: { $ref: `#/components/schemas/io.k8s.api.core.v1.${kind}` } } },
  },
});
const actionOf = (id: string) =>
  id.startsWith('create')
    ? 'post'
    : id.startsWith('patch')
      ? 'patch'
      : id.startsWith('list')
        ? 'list'
        : 'get';
const operation = (id: string, kind: string, withFieldValidation: boolean) => ({
  operationId: id,
  parameters: withFieldValidation ? [fieldValidation] : [],
  responses: objectResponse(kind),
  'x-kubernetes-action': actionOf(id),
  'x-kubernetes-group-version-kind': gvk(kind),
});
/** A list operation answers with the list kind but, as in kube-apiserver, is tagged with the item kind. */
const list = (id: string, kind: string) => ({
  ...operation(id, kind, false),
  responses: objectResponse(`${kind}List`),
});

export const openApiV3CoreV1 = {
  openapi: generated.openapi,
  info: { title: 'Kubernetes (podplane)', version: 'v1.32.0' },
  // `kubectl explain <resource>` finds the kind through these paths, so each served resource has one.
  paths: {
    '/api/v1/pods': { get: list('listCoreV1PodForAllNamespaces', 'Pod') },
    '/api/v1/namespaces/{namespace}/pods': {
      get: list('listCoreV1NamespacedPod', 'Pod'),
      post: operation('createCoreV1NamespacedPod', 'Pod', true),
    },
    '/api/v1/namespaces/{namespace}/pods/{name}': {
      get: operation('readCoreV1NamespacedPod', 'Pod', false),
      patch: operation('patchCoreV1NamespacedPod', 'Pod', true),
    },
    '/api/v1/namespaces': {
      get: list('listCoreV1Namespace', 'Namespace'),
      post: operation('createCoreV1Namespace', 'Namespace', true),
    },
    '/api/v1/namespaces/{name}': {
      get: operation('readCoreV1Namespace', 'Namespace', false),
      patch: operation('patchCoreV1Namespace', 'Namespace', true),
    },
    '/api/v1/nodes': { get: list('listCoreV1Node', 'Node') },
    '/api/v1/nodes/{name}': {
      get: operation('readCoreV1Node', 'Node', false),
      patch: operation('patchCoreV1Node', 'Node', true),
      put: operation('replaceCoreV1Node', 'Node', true),
    },
    '/api/v1/events': { get: list('listCoreV1EventForAllNamespaces', 'Event') },
    '/api/v1/namespaces/{namespace}/events': { get: list('listCoreV1NamespacedEvent', 'Event') },
  },
  components: generated.components,
};

/**
 * The discovery document: where each group-version's spec lives. The hash changes with the
 * document, so kubectl's cache (keyed by this URL) never serves an old one.
 */
export const openApiV3Root = {
  paths: {
    'api/v1': {
      serverRelativeURL: `/openapi/v3/api/v1?hash=${createHash('sha512').update(JSON.stringify(openApiV3CoreV1)).digest('hex').toUpperCase()}`,
    },
  },
};
