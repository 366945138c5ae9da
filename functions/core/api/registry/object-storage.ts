import { randomUUID } from 'node:crypto';
import { jsonEqual } from '../../equal';
import { alreadyExists, badRequest, type FieldError, invalid, notFound } from '../../errors';
import { heldByFinalizers, newFinalizerErrors } from '../../pod/deletion';
import { AlreadyExistsError, ConflictError } from '../../ports';
import { kubernetesTime } from '../../time';
import { fieldManagerScope } from '../apply/managed-fields';
import type { ApplyKind } from '../apply/schema';
import { withWarnings } from '../decode';
import { checkPreconditions } from '../delete-options';
import { json } from '../http';
import { requireActiveNamespace } from '../namespaces';
import { noteDependent } from '../owner-index';
import { type ApiDeps, randomSuffix } from '../pods';
import type { SelectableFields } from '../selectors';
import type { TableWithObjects } from '../tables';
import { groupOf, type ResourceStorage } from './storage';
import { checkUpdateIdentity, type ObjectWithMeta, type Part, type Strategy } from './strategy';

/** An object with a spec and a status, as every resource in the generic store is. */
export interface SpecAndStatus extends ObjectWithMeta {
  spec?: unknown;
  status?: unknown;
}

/**
 * A resource kept in the generic object store: all it adds to the registry is its names, its
 * validation, its Table, and, where its status is computed rather than written by a controller,
 * how the status is read.
 */
export interface ObjectResource<T extends SpecAndStatus> {
  readonly kind: ApplyKind;
  readonly resource: string;
  readonly apiVersion: string;
  /** Fields a fieldSelector may name besides metadata.name and metadata.namespace. */
  readonly fields?: SelectableFields<T>;
  /** Validation of the whole object (metadata included), on create and on update. */
  validate(object: T): FieldError[];
  /** What a create fills in (defaults); the status a client sends is dropped before. */
  readonly defaults?: (object: T) => T;
  table(objects: readonly T[], now: Date, resourceVersion: string): TableWithObjects;
  /** The objects as clients read them (a status computed at read time). */
  readonly present?: (deps: ApiDeps, objects: T[]) => Promise<T[]>;
}

const metadataFields = <T extends ObjectWithMeta>(): SelectableFields<T> => ({
  'metadata.name': (o) => o.metadata?.name ?? '',
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
});

/** The strategy (writes) and storage (reads, deletes) of a resource in the generic object store. */
export function objectResource<T extends SpecAndStatus>(
  definition: ObjectResource<T>,
): { readonly strategy: Strategy<T, T>; readonly storage: ResourceStorage<T> } {
  const { kind, resource, apiVersion } = definition;
  const present = async (deps: ApiDeps, objects: T[]) =>
    definition.present ? definition.present(deps, objects) : objects;
  const presentOne = async (deps: ApiDeps, object: T) => (await present(deps, [object]))[0] as T;
  const read = (deps: ApiDeps, namespace: string, name: string) =>
    deps.objects.getObject<T>(resource, namespace, name);

  const strategy: Strategy<T, T> = {
    kind,
    resource,
    fieldManagers: { object: fieldManagerScope(kind), status: fieldManagerScope(kind, 'status') },
    get: (deps, key) => read(deps, key.namespace, key.name),
    async guaranteedUpdate(deps, key, first, tryUpdate) {
      let current: T | undefined = first;
      for (let attempt = 1; ; attempt++) {
        if (!current) throw notFound(resource, key.name, groupOf(apiVersion));
        const next = tryUpdate(current);
        if (jsonEqual(next, current)) return presentOne(deps, current);
        try {
          // The store's ShouldDeleteDuringUpdate: the last finalizer of a deleted object is gone.
          if (current.metadata?.deletionTimestamp && !heldByFinalizers(next))
            return presentOne(deps, await deps.objects.deleteObject(resource, next));
          await noteDependent(deps.objects, resource, next, current);
          return presentOne(deps, await deps.objects.updateObject(resource, next));
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= 8) throw error;
          current = await read(deps, key.namespace, key.name);
        }
      }
    },
    async create(deps, namespace, decoded, warnings, track) {
      const input = decoded as T & { kind?: unknown; apiVersion?: unknown };
      if (input.kind !== undefined && input.kind !== kind)
        throw badRequest(`the kind ${JSON.stringify(input.kind)} does not match the resource ${resource}`);
      if (input.apiVersion !== undefined && input.apiVersion !== apiVersion)
        throw badRequest(
          `the API version ${JSON.stringify(input.apiVersion)} does not match the expected API version "${apiVersion}"`,
        );
      const metadata = input.metadata ?? {};
      if (metadata.namespace && metadata.namespace !== namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      const name =
        metadata.name || (metadata.generateName ? `${metadata.generateName}${randomSuffix()}` : '');
      const { status: _status, ...rest } = input;
      // rest.BeforeCreate: a deletion is never asked for by a create.
      const {
        managedFields: _requested,
        deletionTimestamp: _deletion,
        deletionGracePeriodSeconds: _grace,
        ...kept
      } = metadata;
      const declared = {
        ...rest,
        apiVersion,
        kind,
        metadata: { ...kept, name, ...(namespace ? { namespace } : {}) },
      } as T;
      const candidate = definition.defaults ? definition.defaults(declared) : declared;
      const errors = definition.validate(candidate);
      if (errors.length > 0) throw invalid(kind, name, errors);
      if (namespace) await requireActiveNamespace(namespace, name, deps, resource);
      const managedFields = track(candidate);
      const object = {
        ...candidate,
        metadata: {
          ...candidate.metadata,
          uid: randomUUID(),
          creationTimestamp: kubernetesTime(deps.now()),
          generation: 1,
          ...(managedFields ? { managedFields } : {}),
        },
      } as T;
      // Before the object, so that no dependent exists that the collector cannot find.
      await noteDependent(deps.objects, resource, object);
      try {
        const created = await deps.objects.createObject(resource, object);
        return withWarnings(json(201, await presentOne(deps, created)), warnings);
      } catch (error) {
        if (error instanceof AlreadyExistsError) throw alreadyExists(resource, name);
        throw error;
      }
    },
    admitUpdate: (current, proposed, part, key) => admitUpdate(definition, current, proposed, part, key),
  };

  const storage: ResourceStorage<T> = {
    resource,
    kind,
    apiVersion,
    fields: { ...metadataFields<T>(), ...definition.fields },
    table: definition.table,
    read: async (deps, key) => {
      const object = await read(deps, key.namespace, key.name);
      return object && presentOne(deps, object);
    },
    list: async (deps, namespace) => present(deps, await deps.objects.listObjects<T>(resource, namespace)),
    changesSince: async (deps, namespace, rv, seen) => {
      const changes = await deps.objects.objectChangesSince<T>(resource, namespace, rv, seen);
      const shown = await present(
        deps,
        changes.map((change) => change.object),
      );
      return changes.map((change, i) => ({ ...change, object: shown[i] ?? change.object }));
    },
    /**
     * An object of the generic store goes at once, as kube-apiserver deletes one that has no
     * graceful strategy, unless finalizers hold it: then it gets deletionTimestamp (grace period
     * 0) and stays until an update removes the last of them. Deleting it again changes nothing.
     */
    async delete(deps, key, options) {
      for (let attempt = 1; ; attempt++) {
        const current = await read(deps, key.namespace, key.name);
        if (!current) throw notFound(resource, key.name, groupOf(apiVersion));
        checkPreconditions(options.preconditions, current.metadata);
        try {
          if (heldByFinalizers(current)) {
            if (current.metadata?.deletionTimestamp)
              return { object: await presentOne(deps, current), removed: false };
            const deleting = {
              ...current,
              metadata: {
                ...current.metadata,
                deletionTimestamp: kubernetesTime(deps.now()),
                deletionGracePeriodSeconds: 0,
              },
            };
            const stored = await deps.objects.updateObject(resource, deleting);
            return { object: await presentOne(deps, stored), removed: false };
          }
          return { object: await deps.objects.deleteObject(resource, current), removed: true };
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= 8) throw error;
        }
      }
    },
    returnsDeletedObject: false,
  };
  return { strategy, storage };
}

/**
 * What an update may change: through the object, its spec and its labels, annotations,
 * finalizers and owner references (a changed spec bumps metadata.generation); through /status,
 * only the status. Identity fields always stay.
 */
function admitUpdate<T extends SpecAndStatus>(
  definition: ObjectResource<T>,
  current: T,
  proposed: T,
  part: Part,
  key: { namespace: string; name: string },
): T {
  const { kind } = definition;
  checkUpdateIdentity(current, proposed, key);
  const { name } = key;
  if (part === 'status') return { ...current, status: proposed.status ?? {} };
  const specChanged = !jsonEqual(proposed.spec, current.spec);
  const { labels, annotations, finalizers, ownerReferences } = proposed.metadata ?? {};
  const {
    labels: _labels,
    annotations: _annotations,
    finalizers: _finalizers,
    ownerReferences: _owners,
    ...identity
  } = current.metadata ?? {};
  const next = {
    ...current,
    spec: proposed.spec,
    metadata: {
      ...identity,
      ...(specChanged ? { generation: (current.metadata?.generation ?? 1) + 1 } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
      ...(finalizers ? { finalizers } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
  } as T;
  if (next.spec === undefined) delete next.spec;
  const errors = [...definition.validate(next), ...newFinalizerErrors(current, next)];
  if (errors.length > 0) throw invalid(kind, name, errors);
  return next;
}
