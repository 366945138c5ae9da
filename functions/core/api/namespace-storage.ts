import type { Namespace } from '../k8s';
import { deleteNamespace, finalizeIfEmpty, readNamespace } from './namespaces';
import { podDisruptionBudgets } from './pdb';
import type { ResourceStorage } from './registry/storage';
import { namespaceFields } from './selectors';
import { namespaceTable } from './tables';

/**
 * Namespaces in the generic registry's reads and deletes. A cluster has few: a watch polls them
 * all, and one that names a namespace (`metadata.name=x`, as `kubectl delete namespace` waits)
 * reports DELETED once it is gone.
 */
export const namespaceStorage: ResourceStorage<Namespace> = {
  resource: 'namespaces',
  kind: 'Namespace',
  apiVersion: 'v1',
  fields: namespaceFields,
  table: (namespaces, now, resourceVersion) => namespaceTable(namespaces, now, resourceVersion),
  read: (deps, key) => readNamespace(key.name, deps),
  async list(deps) {
    await readNamespace('default', deps);
    const all = await Promise.all(
      (await deps.namespaces.listNamespaces()).map((ns) => finalizeIfEmpty(ns, deps)),
    );
    return all.filter((ns): ns is Namespace => ns !== undefined);
  },
  delete: (deps, key, options) => deleteNamespace(key.name, options, deps, [podDisruptionBudgets.storage]),
  returnsDeletedObject: true,
};
