import type { APIGroupList, APIResourceList, APIVersions } from 'kubernetes-types/meta/v1';

/** What kubectl asks first: which versions and resources this server has. */
export const apiVersions: APIVersions = {
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
};

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const coreV1Resources: APIResourceList = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs,
      shortNames: ['po'],
      categories: ['all'],
    },
    {
      name: 'pods/status',
      singularName: '',
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] },
    { name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] },
    {
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    },
    {
      name: 'events',
      singularName: 'event',
      namespaced: true,
      kind: 'Event',
      verbs: ['delete', 'deletecollection', 'get', 'list', 'watch'],
      shortNames: ['ev'],
    },
    {
      name: 'nodes',
      singularName: 'node',
      namespaced: false,
      kind: 'Node',
      verbs: ['get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['no'],
    },
    {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ns'],
    },
  ],
};

/** `kubectl get pdb`, and what `kubectl drain` evicts with. */
export const policyV1Resources: APIResourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'policy/v1',
  resources: [
    {
      name: 'poddisruptionbudgets',
      singularName: 'poddisruptionbudget',
      namespaced: true,
      kind: 'PodDisruptionBudget',
      verbs,
      shortNames: ['pdb'],
    },
    {
      name: 'poddisruptionbudgets/status',
      singularName: '',
      namespaced: true,
      kind: 'PodDisruptionBudget',
      verbs: ['get', 'patch', 'update'],
    },
  ],
};

/** `kubectl auth whoami`: who the caller's token says it is. */
export const authenticationV1Resources: APIResourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authentication.k8s.io/v1',
  resources: [
    {
      name: 'selfsubjectreviews',
      singularName: 'selfsubjectreview',
      namespaced: false,
      kind: 'SelfSubjectReview',
      verbs: ['create'],
    },
  ],
};

/** `kubectl auth can-i`: what the caller's token may do, one request or all of a namespace. */
export const authorizationV1Resources: APIResourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'authorization.k8s.io/v1',
  resources: [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
    {
      name: 'selfsubjectrulesreviews',
      singularName: 'selfsubjectrulesreview',
      namespaced: false,
      kind: 'SelfSubjectRulesReview',
      verbs: ['create'],
    },
  ],
};

/** Every group and version podplane serves, with its resources: `""` is the core group. */
export const servedGroupVersions: readonly {
  readonly group: string;
  readonly version: string;
  readonly resources: APIResourceList;
}[] = [
  { group: '', version: 'v1', resources: coreV1Resources },
  { group: 'authentication.k8s.io', version: 'v1', resources: authenticationV1Resources },
  { group: 'authorization.k8s.io', version: 'v1', resources: authorizationV1Resources },
  { group: 'policy', version: 'v1', resources: policyV1Resources },
];

/** The named groups (`/apis`); the core group is listed under `/api` instead. */
export const apiGroupList: APIGroupList = {
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: servedGroupVersions
    .filter(({ group }) => group !== '')
    .map(({ group, version }) => ({
      name: group,
      versions: [{ groupVersion: `${group}/${version}`, version }],
      preferredVersion: { groupVersion: `${group}/${version}`, version },
    })),
};

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-podplane',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'n/a',
  compiler: 'podplane',
  platform: 'aws/lambda',
};
