import type { Namespace, Node } from '../k8s';
import { type ApiRequest, type ApiResponse, json } from './http';
import { age } from './pod-table';
import { includeObjectOf } from './query';

interface Column {
  readonly name: string;
  readonly priority?: number;
  readonly description?: string;
}

/** A meta.k8s.io/v1 Table: what kubectl prints for `get`, one row per object. */
export function table<T extends { metadata?: object }>(
  columns: readonly Column[],
  objects: readonly T[],
  cells: (object: T) => string[],
  resourceVersion = '',
) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c, i) => ({
      name: c.name,
      type: 'string',
      format: i === 0 ? 'name' : '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((object) => ({ cells: cells(object), object })),
  };
}

export interface TableWithObjects {
  readonly metadata?: object;
  readonly rows: readonly { readonly cells: readonly string[]; readonly object: { metadata?: object } }[];
}

/**
 * What each row carries, as `includeObject` asks: nothing (None), the object's metadata
 * (Metadata, the default) or the whole object (Object, which kubectl asks for to `--sort-by`
 * a field outside metadata). Table builders put the whole object in; this cuts it down.
 */
export function withRowObjects<T extends TableWithObjects>(
  table: T,
  request: ApiRequest,
  kind: string,
  apiVersion = 'v1',
): T {
  const policy = includeObjectOf(request);
  return {
    ...table,
    rows: table.rows.map(({ cells, object }) => {
      if (policy === 'None') return { cells };
      if (policy === 'Object') return { cells, object: { apiVersion, kind, ...object } };
      return {
        cells,
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
      };
    }),
  };
}

/** A Table response, rows shaped by the request's includeObject. */
export const tableJson = <T extends TableWithObjects>(
  request: ApiRequest,
  kind: string,
  table: T,
  apiVersion = 'v1',
): ApiResponse => json(200, withRowObjects(table, request, kind, apiVersion));

/** kubectl get nodes: NAME STATUS ROLES AGE VERSION (and INTERNAL-IP ... with -o wide). */
export function nodeTable(nodes: readonly Node[], now: Date) {
  return table(
    [
      { name: 'Name' },
      { name: 'Status' },
      { name: 'Roles' },
      { name: 'Age' },
      { name: 'Version' },
      { name: 'Internal-IP', priority: 1 },
      { name: 'External-IP', priority: 1 },
      { name: 'OS-Image', priority: 1 },
      { name: 'Kernel-Version', priority: 1 },
      { name: 'Container-Runtime', priority: 1 },
    ],
    nodes,
    (node) => {
      const address = (type: string) =>
        node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
      const roles = Object.keys(node.metadata?.labels ?? {})
        .filter((key) => key.startsWith('node-role.kubernetes.io/'))
        .map((key) => key.slice('node-role.kubernetes.io/'.length))
        .sort();
      return [
        node.metadata?.name ?? '',
        nodeStatus(node),
        roles.length > 0 ? roles.join(',') : '<none>',
        age(node.metadata?.creationTimestamp, now),
        node.status?.nodeInfo?.kubeletVersion ?? '',
        address('InternalIP'),
        address('ExternalIP'),
        node.status?.nodeInfo?.osImage || '<unknown>',
        node.status?.nodeInfo?.kernelVersion || '<unknown>',
        node.status?.nodeInfo?.containerRuntimeVersion || '<unknown>',
      ];
    },
  );
}

/** Ready or NotReady (Unknown without a Ready condition), with SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const state = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${state},SchedulingDisabled` : state;
}

/** kubectl get namespaces: NAME STATUS AGE. */
export function namespaceTable(namespaces: readonly Namespace[], now: Date, resourceVersion = '') {
  return table(
    [{ name: 'Name' }, { name: 'Status' }, { name: 'Age' }],
    namespaces,
    (ns) => [ns.metadata?.name ?? '', ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)],
    resourceVersion,
  );
}
