/**
 * Just enough OpenAPI v3 for kubectl. kubectl looks for a PATCH operation of the kind with a
 * `fieldValidation` parameter; finding one, it leaves schema validation to the server
 * (fieldValidation=Strict) instead of downloading and checking a schema itself.
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
const operation = (id: string, kind: string, withFieldValidation: boolean) => ({
  operationId: id,
  parameters: withFieldValidation ? [fieldValidation] : [],
  responses: objectResponse(kind),
  'x-kubernetes-action': id.startsWith('create') ? 'post' : id.startsWith('patch') ? 'patch' : 'get',
  'x-kubernetes-group-version-kind': gvk(kind),
});
const looseObject = (kind: string) => ({
  type: 'object',
  description: `${kind}: validated by the server (see fieldValidation).`,
  'x-kubernetes-group-version-kind': [gvk(kind)],
  'x-kubernetes-preserve-unknown-fields': true,
});

export const openApiV3CoreV1 = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes (podplane)', version: 'v1.32.0' },
  paths: {
    '/api/v1/namespaces/{namespace}/pods': { post: operation('createCoreV1NamespacedPod', 'Pod', true) },
    '/api/v1/namespaces/{namespace}/pods/{name}': {
      get: operation('readCoreV1NamespacedPod', 'Pod', false),
      patch: operation('patchCoreV1NamespacedPod', 'Pod', true),
    },
    '/api/v1/namespaces': { post: operation('createCoreV1Namespace', 'Namespace', true) },
    '/api/v1/namespaces/{name}': {
      get: operation('readCoreV1Namespace', 'Namespace', false),
      patch: operation('patchCoreV1Namespace', 'Namespace', true),
    },
  },
  components: {
    schemas: {
      'io.k8s.api.core.v1.Pod': looseObject('Pod'),
      'io.k8s.api.core.v1.Namespace': looseObject('Namespace'),
    },
  },
};

/** The discovery document: where each group-version's spec lives (the hash lets clients cache). */
export const openApiV3Root = {
  paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=podplane-v1' } },
};
