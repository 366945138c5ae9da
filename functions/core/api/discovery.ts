import type { APIResourceList, APIVersions } from 'kubernetes-types/meta/v1';

/** What kubectl asks first: which versions and resources this server has. */
export const apiVersions: APIVersions = {
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
};

export const apiGroupList = { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };

const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

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
    {
      name: 'events',
      singularName: 'event',
      namespaced: true,
      kind: 'Event',
      verbs: ['get', 'list', 'watch'],
      shortNames: ['ev'],
    },
    {
      name: 'nodes',
      singularName: 'node',
      namespaced: false,
      kind: 'Node',
      verbs: ['get', 'list'],
      shortNames: ['no'],
    },
    {
      name: 'namespaces',
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['create', 'delete', 'get', 'list', 'watch'],
      shortNames: ['ns'],
    },
  ],
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
