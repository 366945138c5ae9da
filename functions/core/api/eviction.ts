import type { Eviction, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import { ApiError, badRequest, conflict, notFound } from '../errors';
import type { Pod } from '../k8s';
import { isHealthy, type PodDisruptionBudget, selectsPod } from '../policy/disruption-budget';
import { ConflictError } from '../ports';
import { kubernetesTime } from '../time';
import { parseObjectBody } from './body';
import { admitFields, withWarnings } from './decode';
import { checkPreconditions, deleteRequestOf } from './delete-options';
import { dryRunDeps } from './dry-run';
import { type ApiRequest, type ApiResponse, json } from './http';
import { podDisruptionBudgets } from './pdb';
import { deletePodAndDependents } from './pod-delete';
import type { ApiDeps } from './pods';
import type { ObjectKey } from './registry/strategy';

/** How often an eviction reads the pod and its budget again after losing a race to record it. */
const maxAttempts = 5;

const tooManyRequests = (cause: string) =>
  new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });

/**
 * A pod the budgets need not be asked about: not running (Pending, Succeeded, Failed) or already
 * being deleted, as kube-apiserver's eviction passes them over.
 */
const budgetIgnores = (pod: Pod) =>
  ['Pending', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? 'Pending') ||
  pod.metadata?.deletionTimestamp !== undefined;

/**
 * POST pods/{name}/eviction (policy/v1 Eviction): the pod is deleted as a DELETE with the
 * eviction's deleteOptions would delete it, unless the one disruption budget selecting it allows
 * no disruption now (429, with the budget's numbers, so `kubectl drain` waits and tries again).
 * An allowed eviction is recorded in the budget's status.disruptedPods, conditioned on the
 * budget's version, so that two evictions racing for the last allowed disruption cannot both win.
 */
export async function evictPod(key: ObjectKey, request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const admitted = admitFields('Eviction', parseObjectBody(request), request);
  const eviction = admitted.object as Eviction;
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== key.name)
    throw badRequest('name in URL does not match name in Eviction object');
  const { dryRun, ...options } = deleteRequestOf(eviction.deleteOptions ?? {});
  const stores = dryRun ? dryRunDeps(deps) : deps;
  for (let attempt = 1; ; attempt++) {
    const record = await stores.pods.getPod(key.namespace, key.name, true);
    if (!record) throw notFound('pods', key.name);
    // Before the budget records anything, so that a refused eviction changes nothing.
    checkPreconditions(options.preconditions, record.pod.metadata);
    if (!budgetIgnores(record.pod)) {
      try {
        await admitDisruption(record.pod, stores);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        if (attempt >= maxAttempts) throw conflict('poddisruptionbudgets', key.name);
        continue;
      }
    }
    await deletePodAndDependents(record, options, stores);
    return withWarnings(
      json(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }),
      admitted.warnings,
    );
  }
}

/**
 * The budget check of kube-apiserver's eviction: refused (429) when the budget allows no
 * disruption, otherwise the pod is counted as disrupted in the budget's status. A pod that is
 * not healthy may go without using up a disruption when the budget is met anyway
 * (unhealthyPodEvictionPolicy IfHealthyBudget, the default) or always (AlwaysAllow).
 * ConflictError: the budget changed meanwhile.
 */
async function admitDisruption(pod: Pod, deps: ApiDeps): Promise<void> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const budgets = (await podDisruptionBudgets.storage.list(deps, namespace)).filter((pdb) =>
    selectsPod(pdb, pod),
  );
  if (budgets.length === 0) return;
  if (budgets.length > 1)
    throw new ApiError(
      409,
      'Conflict',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      { name, kind: 'pods' },
    );
  const budget = budgets[0] as PodDisruptionBudget;
  // Always there: budgets are read with the status computed (pdb.ts).
  const status: PodDisruptionBudgetStatus = budget.status ?? {
    currentHealthy: 0,
    desiredHealthy: 0,
    disruptionsAllowed: 0,
    expectedPods: 0,
  };
  const now = deps.now();
  if (!isHealthy(pod, {}, now)) {
    const policy = budget.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
    if (policy === 'AlwaysAllow') return;
    if (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) return;
  }
  const budgetName = budget.metadata?.name ?? '';
  if ((status.observedGeneration ?? 0) < (budget.metadata?.generation ?? 0))
    throw tooManyRequests(`The disruption budget ${budgetName} is still being processed by the server.`);
  if (status.disruptionsAllowed <= 0)
    throw tooManyRequests(
      `The disruption budget ${budgetName} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
    );
  const stored = await deps.objects.getObject<PodDisruptionBudget>(
    podDisruptionBudgets.storage.resource,
    namespace,
    budgetName,
  );
  if (!stored || stored.metadata?.resourceVersion !== budget.metadata?.resourceVersion)
    throw new ConflictError();
  await deps.objects.updateObject(podDisruptionBudgets.storage.resource, {
    ...stored,
    status: {
      ...status,
      disruptionsAllowed: status.disruptionsAllowed - 1,
      disruptedPods: { ...status.disruptedPods, [name]: kubernetesTime(now) },
    },
  });
}
