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

/** Where each group's kinds are named in the schemas. */
const packages: Readonly<Record<string, string>> = {
  '': 'io.k8s.api.core.v1',
  policy: 'io.k8s.api.policy.v1',
};
/** `kind` or `group/kind`. */
const gvk = (qualified: string) => {
  const [group, kind] = qualified.includes('/') ? qualified.split('/') : ['', qualified];
  return { group: group ?? '', version: 'v1', kind: kind ?? '' };
};
const fieldValidation = {
  name: 'fieldValidation',
  in: 'query',
  description: 'How the server treats unknown or duplicate fields: Ignore, Warn or Strict.',
  schema: { type: 'string', uniqueItems: true },
};
const objectResponse = (qualified: string) => {
  const { group, kind } = gvk(qualified);
  return {
    '200': {
      description: 'OK',
      content: {
        'application/json': { schema: { $ref: `#/components/schemas/${packages[group]}.${kind}` } },
      },
    },
  };
};
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

/** The policy/v1 document: `kubectl explain pdb`; its schemas are the generated ones, shared. */
export const openApiV3PolicyV1 = {
  openapi: generated.openapi,
  info: { title: 'Kubernetes (podplane)', version: 'v1.32.0' },
  paths: {
    '/apis/policy/v1/poddisruptionbudgets': {
      get: list('listPolicyV1PodDisruptionBudgetForAllNamespaces', 'policy/PodDisruptionBudget'),
    },
    '/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets': {
      get: list('listPolicyV1NamespacedPodDisruptionBudget', 'policy/PodDisruptionBudget'),
      post: operation('createPolicyV1NamespacedPodDisruptionBudget', 'policy/PodDisruptionBudget', true),
    },
    '/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/{name}': {
      get: operation('readPolicyV1NamespacedPodDisruptionBudget', 'policy/PodDisruptionBudget', false),
      patch: operation('patchPolicyV1NamespacedPodDisruptionBudget', 'policy/PodDisruptionBudget', true),
    },
  },
  components: generated.components,
};

const hashOf = (document: unknown) =>
  createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();

/**
 * The discovery document: where each group-version's spec lives. The hash changes with the
 * document, so kubectl's cache (keyed by this URL) never serves an old one.
 */
export const openApiV3Root = {
  paths: {
    'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${hashOf(openApiV3CoreV1)}` },
    'apis/policy/v1': { serverRelativeURL: `/openapi/v3/apis/policy/v1?hash=${hashOf(openApiV3PolicyV1)}` },
  },
};
