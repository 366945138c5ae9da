import { randomUUID } from 'node:crypto';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import type { PodNetworking } from '../ecs/task-definition';
import { alreadyExists, badRequest, invalid } from '../errors';
import type { Pod } from '../k8s';
import type { PodMetrics } from '../metrics';
import { admissionWarnings } from '../pod/admission-warnings';
import { qosClass, withPodDefaults } from '../pod/defaults';
import { ecsAdmissionErrors } from '../pod/ecs-admission';
import { validatePod } from '../pod/validate';
import {
  AlreadyExistsError,
  type EventStore,
  type NamespaceStore,
  type NodeStore,
  type ObjectStore,
  type PodStore,
} from '../ports';
import { kubernetesTime } from '../time';
import { withWarnings } from './decode';
import { type ApiResponse, json } from './http';
import { requireActiveNamespace } from './namespaces';
import { noteDependent } from './owner-index';

export interface ApiDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly namespaces: NamespaceStore;
  readonly events: EventStore;
  /** Every resource without a store of its own (registry/object-storage.ts). */
  readonly objects: ObjectStore;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly metrics?: PodMetrics;
  /** How EC2 pods are networked (podplane:podNetworking): what admission accepts depends on it. */
  readonly podNetworking?: PodNetworking;
}

/** DynamoDB's item limit is 400 KB; keep headroom for the attributes stored beside the body. */
export const maxStoredPodBytes = 380 * 1024;

/**
 * Admission and create, shared by POST and by a server-side apply that creates: the kind and
 * namespace checks, the name (or one generated), validation, ECS admission, the namespace's
 * lifecycle, defaults, and the stored pod with the managedFields `track` gives its defaulted
 * form. 201 with the pod as stored.
 */
export async function admitAndCreatePod(
  namespace: string,
  decoded: Pod,
  deps: ApiDeps,
  warnings: readonly string[],
  track: (defaulted: Pod) => ManagedFieldsEntry[] | undefined,
): Promise<ApiResponse> {
  const input = decoded as Pod & { kind?: unknown; apiVersion?: unknown };
  if (input.kind !== undefined && input.kind !== 'Pod')
    throw badRequest(`the kind ${JSON.stringify(input.kind)} does not match the resource pods`);
  if (input.apiVersion !== undefined && input.apiVersion !== 'v1')
    throw badRequest(
      `the API version ${JSON.stringify(input.apiVersion)} does not match the expected API version "v1"`,
    );
  const metadata = typeof input.metadata === 'object' && input.metadata !== null ? input.metadata : {};
  if (metadata.namespace && metadata.namespace !== namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const name = metadata.name || (metadata.generateName ? `${metadata.generateName}${randomSuffix()}` : '');
  const candidate: Pod = { ...input, metadata: { ...metadata, name, namespace } };
  const validationErrors = validatePod(candidate);
  // What Kubernetes accepts but ECS cannot do is refused here too, once the pod is valid.
  const networking = deps.podNetworking ?? 'awsvpc';
  const errors = validationErrors.length > 0 ? validationErrors : ecsAdmissionErrors(candidate, networking);
  if (errors.length > 0) throw invalid('Pod', name, errors);
  await requireActiveNamespace(namespace, name, deps);

  const now = kubernetesTime(deps.now());
  const defaulted = withPodDefaults(candidate);
  // A deletion cannot be created, only requested (rest.BeforeCreate clears both fields).
  const {
    managedFields: _requested,
    deletionTimestamp: _deleting,
    deletionGracePeriodSeconds: _grace,
    ...defaultedMetadata
  } = defaulted.metadata ?? {};
  const managedFields = track(defaulted);
  const pod: Pod = {
    ...defaulted,
    metadata: {
      ...defaultedMetadata,
      uid: randomUUID(),
      creationTimestamp: now,
      generation: 1,
      ...(managedFields ? { managedFields } : {}),
    },
    status: { phase: 'Pending', qosClass: qosClass(defaulted) },
  };
  const size = Buffer.byteLength(JSON.stringify(pod));
  if (size > maxStoredPodBytes)
    throw invalid('Pod', name, [
      {
        field: 'metadata',
        reason: 'FieldValueTooLong',
        message: `Too long: the pod is ${size} bytes, must have at most ${maxStoredPodBytes} bytes`,
      },
    ]);
  // Before the pod, so that the garbage collector can find every dependent (owner-index.ts).
  await noteDependent(deps.objects, 'pods', pod);
  try {
    const created = await deps.pods.createPod(pod);
    deps.metrics?.count('PodsCreated');
    return withWarnings(json(201, created), [...warnings, ...admissionWarnings(pod, networking)]);
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw alreadyExists('pods', name);
    throw error;
  }
}

/** Five characters from Kubernetes' generateName alphabet (no vowels, no confusable digits). */
export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
