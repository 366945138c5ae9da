import { randomUUID } from 'node:crypto';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { ApiError, alreadyExists, badRequest, invalid, notFound } from '../errors';
import type { Namespace } from '../k8s';
import { isDns1123Label } from '../pod/validate';
import { AlreadyExistsError, ConflictError } from '../ports';
import { kubernetesTime } from '../time';
import { validateAnnotations, validateLabels } from '../validation/labels';
import { withWarnings } from './decode';
import { checkPreconditions, type DeleteRequest } from './delete-options';
import { type ApiResponse, json } from './http';
import { deletePodAndDependents } from './pod-delete';
import type { ApiDeps } from './pods';
import type { Deleted, ResourceStorage } from './registry/storage';
import { checkUpdateIdentity, type ObjectWithMeta } from './registry/strategy';

/** Namespaces every cluster has; created on first use so a fresh table needs no seeding. */
export const builtinNamespaces = new Set(['default', 'kube-system', 'kube-public']);

function namespaceObject(
  name: string,
  now: Date,
  labels: Record<string, string> = {},
  annotations?: Record<string, string>,
): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: kubernetesTime(now),
      labels: { ...labels, 'kubernetes.io/metadata.name': name },
      ...(annotations ? { annotations } : {}),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/**
 * Admission and create, shared by POST and by a server-side apply that creates: the name, the
 * labels and annotations, and the stored namespace with the managedFields `track` gives what the
 * request declared (its name, annotations, and labels with the kubernetes.io/metadata.name label
 * defaulting adds). 201 with the namespace as stored.
 */
export async function admitAndCreateNamespace(
  decoded: Namespace,
  deps: ApiDeps,
  warnings: readonly string[],
  track: (declared: Namespace) => ManagedFieldsEntry[] | undefined,
): Promise<ApiResponse> {
  const input = decoded as Namespace & { kind?: unknown };
  if (input.kind !== undefined && input.kind !== 'Namespace')
    throw badRequest(`the kind ${JSON.stringify(input.kind)} does not match the resource namespaces`);
  const name = input.metadata?.name ?? '';
  if (!name)
    throw invalid('Namespace', name, [
      {
        field: 'metadata.name',
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
      },
    ]);
  if (!isDns1123Label(name))
    throw invalid('Namespace', name, [
      {
        field: 'metadata.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      },
    ]);
  const object = namespaceObject(name, deps.now(), input.metadata?.labels, input.metadata?.annotations);
  const errors = metadataErrors(object);
  if (errors.length > 0) throw invalid('Namespace', name, errors);
  const { labels, annotations } = object.metadata ?? {};
  const managedFields = track({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels, ...(annotations ? { annotations } : {}) },
  });
  try {
    const created = await deps.namespaces.createNamespace(
      managedFields ? { ...object, metadata: { ...object.metadata, managedFields } } : object,
    );
    return withWarnings(json(201, created), warnings);
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw alreadyExists('namespaces', name);
    throw error;
  }
}

/** Labels and annotations, by apimachinery's rules, as ValidateObjectMeta checks them. */
function metadataErrors(namespace: Namespace) {
  return [
    ...validateLabels(Object.entries(namespace.metadata?.labels ?? {}), 'metadata.labels'),
    ...validateAnnotations(Object.entries(namespace.metadata?.annotations ?? {}), 'metadata.annotations'),
  ];
}

/**
 * What an update may change on a namespace: its labels and annotations (the
 * kubernetes.io/metadata.name label always names it, as defaulting sets it). Its spec and status
 * stay, as the namespace strategy keeps them; identity fields always stay.
 */
export function admitNamespaceUpdate(current: Namespace, proposed: Namespace, name: string): Namespace {
  checkUpdateIdentity(current, proposed, { namespace: '', name });
  const annotations = proposed.metadata?.annotations;
  const { annotations: _old, ...metadata } = current.metadata ?? {};
  const next: Namespace = {
    ...current,
    metadata: {
      ...metadata,
      labels: { ...proposed.metadata?.labels, 'kubernetes.io/metadata.name': name },
      ...(annotations ? { annotations } : {}),
    },
  };
  const errors = metadataErrors(next);
  if (errors.length > 0) throw invalid('Namespace', name, errors);
  return next;
}

/** The namespace, or a built-in one created on first use; undefined when it does not exist. */
export async function readNamespace(name: string, deps: ApiDeps): Promise<Namespace | undefined> {
  const stored = await deps.namespaces.getNamespace(name);
  if (stored) return finalizeIfEmpty(stored, deps);
  if (!builtinNamespaces.has(name)) return undefined;
  try {
    return await deps.namespaces.createNamespace(namespaceObject(name, deps.now()));
  } catch (error) {
    if (error instanceof AlreadyExistsError) return deps.namespaces.getNamespace(name);
    throw error;
  }
}

/** Namespaced objects may only be created in a namespace that exists and is not being deleted. */
/**
 * Namespaces seen Active recently, by name. Kubernetes' NamespaceLifecycle admission also reads
 * namespaces from a cache; here it saves a read on every pod create. Only Active namespaces are
 * cached, and briefly, so a namespace that starts terminating refuses new pods within seconds.
 */
const activeNamespaces = new Map<string, number>();
export const activeNamespaceCacheMs = 2000;

export async function requireActiveNamespace(
  name: string,
  podName: string,
  deps: ApiDeps,
  resource = 'pods',
): Promise<void> {
  const now = deps.now().getTime();
  if ((activeNamespaces.get(name) ?? 0) > now) return;
  const namespace = await readNamespace(name, deps);
  if (!namespace) throw notFound('namespaces', name);
  if (namespace.status?.phase !== 'Terminating') activeNamespaces.set(name, now + activeNamespaceCacheMs);
  if (namespace.status?.phase === 'Terminating')
    throw new ApiError(
      403,
      'Forbidden',
      `${resource} "${podName}" is forbidden: unable to create new content in namespace ${name} because it is being terminated`,
      { name: podName, kind: resource },
    );
}

/** The objects of a resource in the generic object store that a namespace's deletion deletes. */
export type NamespacedContent = Pick<ResourceStorage<ObjectWithMeta>, 'list' | 'delete'>;

/**
 * Deleting a namespace deletes its content, as Kubernetes' namespace controller does: it turns
 * Terminating at once, its pods are deleted (gracefully where they run), the objects of
 * `content` at once, and it disappears once the last pod is gone.
 */
export async function deleteNamespace(
  name: string,
  options: Omit<DeleteRequest, 'dryRun'>,
  deps: ApiDeps,
  content: readonly NamespacedContent[],
): Promise<Deleted<Namespace>> {
  activeNamespaces.delete(name);
  if (builtinNamespaces.has(name))
    throw new ApiError(
      403,
      'Forbidden',
      `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      {
        name,
        kind: 'namespaces',
      },
    );
  let namespace = await deps.namespaces.getNamespace(name);
  if (!namespace) throw notFound('namespaces', name);
  checkPreconditions(options.preconditions, namespace.metadata);
  for (let attempt = 0; namespace && namespace.status?.phase !== 'Terminating'; attempt++) {
    try {
      namespace = await deps.namespaces.updateNamespace({
        ...namespace,
        metadata: { ...namespace.metadata, deletionTimestamp: kubernetesTime(deps.now()) },
        status: { ...namespace.status, phase: 'Terminating' },
      });
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt > 5) throw error;
      namespace = await deps.namespaces.getNamespace(name);
    }
  }
  if (!namespace) throw notFound('namespaces', name);
  const pods = await deps.pods.listPods(name);
  for (const pod of pods) {
    const record = await deps.pods.getPod(name, pod.metadata?.name ?? '', true);
    if (record) await deletePodAndDependents(record, {}, deps);
  }
  for (const storage of content)
    for (const object of await storage.list(deps, name))
      await storage.delete?.(deps, { namespace: name, name: object.metadata?.name ?? '' }, {});
  const left = await finalizeIfEmpty(namespace, deps);
  return { object: namespace, removed: left === undefined };
}

/** A Terminating namespace whose pods are all gone is removed; returns what remains. */
export async function finalizeIfEmpty(namespace: Namespace, deps: ApiDeps): Promise<Namespace | undefined> {
  if (namespace.status?.phase !== 'Terminating') return namespace;
  const name = namespace.metadata?.name ?? '';
  if ((await deps.pods.listPods(name)).length > 0) return namespace;
  await deps.namespaces.deleteNamespace(name);
  return undefined;
}
