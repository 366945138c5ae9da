import { readinessConditions } from '../ecs/pod-status';
import { ApiError, badRequest, type FieldError, invalid, notFound } from '../errors';
import { podEvent, recordQuietly } from '../events';
import type { Pod } from '../k8s';
import { boundPod } from '../pod/binding';
import { withConditions } from '../pod/conditions';
import { type AdmissionRejection, kubeletAdmission, requestsOfPodOn } from '../pod/kubelet-admission';
import { ConflictError, type NodeStore, type PodRecord } from '../ports';
import { kubernetesTime } from '../time';
import { parseObjectBody } from './body';
import { checkPreconditions, requestsDryRun } from './delete-options';
import { type ApiRequest, type ApiResponse, json } from './http';
import type { ApiDeps } from './pods';

export interface BindingDeps extends ApiDeps {
  readonly nodes: NodeStore;
}

/** Rounds a binding may lose to other writes (of the pod or of the node) before it gives up. */
const maxAttempts = 5;

/**
 * `POST pods/{name}/binding` (and the older `POST bindings`): how a scheduler other than podplane's
 * binds, as kube-apiserver's binding subresource does: once (409 when the pod is already on a
 * node), spec.nodeName and PodScheduled set, the Binding's annotations copied onto the pod, 201
 * with a Success Status. The write is the scheduler's own, conditioned on the node's remaining
 * capacity, so no node is ever overcommitted; a node that cannot hold the pod turns it away as
 * the kubelet's admission would: the pod ends Failed with OutOfcpu, OutOfmemory or OutOfpods.
 */
export async function createBinding(
  namespace: string,
  podName: string | undefined,
  request: ApiRequest,
  deps: BindingDeps,
): Promise<ApiResponse> {
  const { name, nodeName, uid, resourceVersion, annotations } = readBinding(namespace, podName, request);
  const dryRun = requestsDryRun(request);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const record = await deps.pods.getPod(namespace, name, true);
    if (!record) throw notFound('pods', name);
    checkPreconditions({ uid, resourceVersion }, record.pod.metadata);
    if (record.pod.metadata?.deletionTimestamp)
      throw bindingConflict(name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const assigned = record.pod.spec?.nodeName;
    if (assigned) throw bindingConflict(name, `pod ${name} is already assigned to node "${assigned}"`);

    const nodes = await deps.nodes.listNodes({ consistent: true });
    const node = nodes.find((n) => n.node.metadata?.name === nodeName);
    const bound = boundPod(record.pod, nodeName, kubernetesTime(deps.now()), annotations);
    const requests = node && requestsOfPodOn(record.pod, node.node, deps.podNetworking);
    const rejection = node && requests ? kubeletAdmission(requests, node) : nodeNotFound(nodeName);
    if (rejection) {
      if (await reject(record, bound, rejection, dryRun, deps)) return success();
      continue;
    }
    if (dryRun) return success();
    if (node && requests && (await deps.pods.bindPod(record, bound, node, requests)) === 'bound')
      return success();
    // pod-changed: read the pod again (it may be bound now: 409); node-full or conflict: the
    // node moved since it was read, so read it again and decide again.
  }
  throw bindingConflict(name, `pod ${name} could not be assigned to node "${nodeName}": try again`);
}

interface BindingRequest {
  readonly name: string;
  readonly nodeName: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly annotations: Record<string, string>;
}

/** The Binding in the body, checked as kube-apiserver checks it (ValidatePodBinding). */
function readBinding(namespace: string, podName: string | undefined, request: ApiRequest): BindingRequest {
  const body = parseObjectBody(request);
  if (body.kind !== undefined && body.kind !== 'Binding')
    throw badRequest(`the kind ${JSON.stringify(body.kind)} does not match the expected kind "Binding"`);
  if (body.apiVersion !== undefined && body.apiVersion !== 'v1')
    throw badRequest(
      `the API version ${JSON.stringify(body.apiVersion)} does not match the expected API version "v1"`,
    );
  const metadata = record(body.metadata);
  const target = record(body.target);
  const name = stringOf(metadata.name) || podName || '';
  if (podName !== undefined && name !== podName)
    throw badRequest('name in URL does not match name in Binding object');
  if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (!name) throw badRequest('name is required for a Binding');
  const errors: FieldError[] = [];
  const kind = stringOf(target.kind);
  if (kind !== '' && kind !== 'Node')
    errors.push({
      field: 'target.kind',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(kind)}: supported values: "Node"`,
    });
  const nodeName = stringOf(target.name);
  if (nodeName === '')
    errors.push({ field: 'target.name', reason: 'FieldValueRequired', message: 'Required value' });
  if (errors.length > 0) throw invalid('Binding', name, errors);
  const annotations = Object.fromEntries(
    Object.entries(record(metadata.annotations)).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  const uid = stringOf(metadata.uid);
  const resourceVersion = stringOf(metadata.resourceVersion);
  return {
    name,
    nodeName,
    annotations,
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
const stringOf = (value: unknown): string => (typeof value === 'string' ? value : '');

const bindingConflict = (name: string, why: string) =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods "${name}": ${why}`, {
    name,
    kind: 'pods',
  });

const success = () =>
  json(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

/** No node of that name: no kubelet will ever run the pod (docs/decisions.md "Other schedulers"). */
const nodeNotFound = (nodeName: string): AdmissionRejection => ({
  reason: 'NodeNotFound',
  message: `Pod was rejected: node "${nodeName}" not found`,
});

/**
 * The pod bound but turned away, as the kubelet's admission leaves it: Failed with its reason,
 * holding nothing on the node. False when the pod changed meanwhile (the caller reads it again).
 */
async function reject(
  record: PodRecord,
  bound: Pod,
  rejection: AdmissionRejection,
  dryRun: boolean,
  deps: BindingDeps,
): Promise<boolean> {
  const now = kubernetesTime(deps.now());
  const failed: Pod = {
    ...bound,
    status: {
      ...bound.status,
      phase: 'Failed',
      reason: rejection.reason,
      message: rejection.message,
      conditions: withConditions(bound.status?.conditions, readinessConditions('Failed', []), now),
    },
  };
  try {
    await deps.pods.updatePod(record, failed);
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
  if (!dryRun) {
    const event = { type: 'Warning' as const, reason: rejection.reason, component: 'kubelet' };
    await recordQuietly(deps.events, podEvent(failed, { ...event, message: rejection.message }, deps.now()));
  }
  return true;
}
