import type { Taint } from 'kubernetes-types/core/v1';
import { requeueUnschedulable } from '../controllers/requeue';
import { jsonEqual } from '../equal';
import { ApiError, notFound } from '../errors';
import type { Node } from '../k8s';
import { withTaintTimes, withUnschedulableTaint } from '../nodes/ownership';
import { ConflictError, type PodStore } from '../ports';
import { kubernetesTime } from '../time';
import { fieldManagerScope } from './apply/managed-fields';
import { admitNodeUpdate } from './node-update';
import type { Strategy } from './registry/strategy';

/**
 * Nodes in the generic registry: cluster-scoped, updated (PUT, PATCH, apply) but never created
 * through the API, since a node is an ECS container instance or Fargate pool that node sync
 * registers. No status subresource is served: ECS owns the status.
 */
export const nodeStrategy: Strategy<Node, Node> = {
  kind: 'Node',
  resource: 'nodes',
  fieldManagers: { object: fieldManagerScope('Node') },
  get: (deps, key) => deps.nodes.getNode(key.name, { consistent: true }),
  /**
   * A write that loses a race (to node sync, or another user) reads the node again and redoes
   * the update, up to eight times; the cordon taint and NoExecute taint times are settled on each
   * try, as part of the same write (nodes/ownership.ts).
   */
  async guaranteedUpdate(deps, key, first, tryUpdate) {
    let current: Node | undefined = first;
    for (let attempt = 1; ; attempt++) {
      if (!current) throw notFound('nodes', key.name);
      const now = kubernetesTime(deps.now());
      const next = withTaintTimes(withUnschedulableTaint(tryUpdate(current), now), current, now);
      if (jsonEqual(next, current)) return current;
      let stored: Node;
      try {
        stored = await deps.nodes.updateNode(next);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 8) throw error;
        current = await deps.nodes.getNode(key.name, { consistent: true });
        continue;
      }
      if (mayAdmitMorePods(current, stored)) await requeueQuietly(deps.pods);
      return stored;
    }
  },
  // Only an apply to a node that does not exist gets here: ECS, not the API, makes nodes.
  create: async (_deps, _namespace, node) => {
    const name = node.metadata?.name ?? '';
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `nodes "${name}" cannot be created through the API: nodes are registered from ECS container instances and Fargate pools`,
      { name, kind: 'nodes' },
    );
  },
  admitUpdate: admitNodeUpdate,
};

/**
 * Whether pods the node refused may fit it now: it was uncordoned, lost a taint, or its labels
 * changed (Kubernetes' scheduling queue moves its unschedulable pods on such a Node update).
 */
function mayAdmitMorePods(before: Node, after: Node): boolean {
  if (before.spec?.unschedulable && !after.spec?.unschedulable) return true;
  const taintKey = (t: Taint) => JSON.stringify([t.key, t.value ?? '', t.effect]);
  const kept = new Set((after.spec?.taints ?? []).map(taintKey));
  if ((before.spec?.taints ?? []).some((t) => !kept.has(taintKey(t)))) return true;
  return !jsonEqual(before.metadata?.labels ?? {}, after.metadata?.labels ?? {});
}

/**
 * Hands waiting pods back to the scheduler after the update is stored: best effort, since the
 * update has happened whatever this does, and node sync requeues them within a minute anyway.
 */
async function requeueQuietly(pods: PodStore): Promise<void> {
  try {
    await requeueUnschedulable({ pods });
  } catch {
    // The next node sync requeues them.
  }
}
