import {
  disruptionBudgetStatus,
  type PodDisruptionBudget,
  validatePodDisruptionBudget,
} from '../policy/disruption-budget';
import { age } from './pod-table';
import type { ApiDeps } from './pods';
import { objectResource } from './registry/object-storage';
import { table } from './tables';

/**
 * The budgets as read: each with the status the disruption controller would have written for
 * its namespace's pods now (podplane runs no disruption controller; docs/decisions.md
 * "Disruption budgets compute their status on read"). What an eviction wrote (disruptedPods) is
 * kept and counted.
 */
export async function withDisruptionStatus(
  deps: ApiDeps,
  budgets: PodDisruptionBudget[],
): Promise<PodDisruptionBudget[]> {
  if (budgets.length === 0) return budgets;
  const namespaces = [...new Set(budgets.map((pdb) => pdb.metadata?.namespace ?? ''))];
  const pods = await deps.pods.listPods(namespaces.length === 1 ? namespaces[0] : undefined);
  const now = deps.now();
  return budgets.map((pdb) => ({
    ...pdb,
    status: disruptionBudgetStatus(
      pdb,
      pods.filter((pod) => pod.metadata?.namespace === pdb.metadata?.namespace),
      now,
    ),
  }));
}

/** kubectl get pdb: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE. */
export function podDisruptionBudgetTable(
  budgets: readonly PodDisruptionBudget[],
  now: Date,
  resourceVersion = '',
) {
  return table(
    [
      { name: 'Name' },
      { name: 'Min Available' },
      { name: 'Max Unavailable' },
      { name: 'Allowed Disruptions' },
      { name: 'Age' },
    ],
    budgets,
    (pdb) => [
      pdb.metadata?.name ?? '',
      pdb.spec?.minAvailable !== undefined ? String(pdb.spec.minAvailable) : 'N/A',
      pdb.spec?.maxUnavailable !== undefined ? String(pdb.spec.maxUnavailable) : 'N/A',
      String(pdb.status?.disruptionsAllowed ?? 0),
      age(pdb.metadata?.creationTimestamp, now),
    ],
    resourceVersion,
  );
}

/** poddisruptionbudgets.policy: a resource of the generic object store. */
export const podDisruptionBudgets = objectResource<PodDisruptionBudget>({
  kind: 'PodDisruptionBudget',
  resource: 'poddisruptionbudgets',
  apiVersion: 'policy/v1',
  validate: validatePodDisruptionBudget,
  table: podDisruptionBudgetTable,
  present: withDisruptionStatus,
});
