import { jsonEqual } from '../equal';
import { notFound } from '../errors';
import type { Namespace } from '../k8s';
import { ConflictError } from '../ports';
import { fieldManagerScope } from './apply/managed-fields';
import { admitAndCreateNamespace, admitNamespaceUpdate, readNamespace } from './namespaces';
import type { Strategy } from './registry/strategy';

/** Namespaces in the generic registry: cluster-scoped, with no status subresource served. */
export const namespaceStrategy: Strategy<Namespace, Namespace> = {
  kind: 'Namespace',
  resource: 'namespaces',
  fieldManagers: { object: fieldManagerScope('Namespace') },
  // A built-in namespace is created on first use, so it can be updated before anything read it.
  get: (deps, key) => readNamespace(key.name, deps),
  /**
   * A lost write reads the namespace again and redoes the update, up to eight times; a
   * resourceVersion the request names that is not the current one fails at once, since reading
   * again cannot make an older version current.
   */
  async guaranteedUpdate(deps, key, first, tryUpdate) {
    let current: Namespace | undefined = first;
    for (let attempt = 1; ; attempt++) {
      if (!current) throw notFound('namespaces', key.name);
      const next = tryUpdate(current);
      if (jsonEqual(next, current)) return current;
      try {
        return await deps.namespaces.updateNamespace(next);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 8) throw error;
        current = await deps.namespaces.getNamespace(key.name);
      }
    }
  },
  create: (deps, _namespace, namespace, warnings, track) =>
    admitAndCreateNamespace(namespace, deps, warnings, track),
  admitUpdate: (current, proposed, _part, key) => admitNamespaceUpdate(current, proposed, key.name),
};
