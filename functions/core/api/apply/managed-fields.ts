import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { jsonEqual } from '../../equal';
import { ApiError, badRequest } from '../../errors';
import { FieldSet, goJson, type Json, type Path, pathString } from './fieldpath';
import { type ApplyKind, type Atom, applyApiVersions, rootAtom } from './schema';
import {
  compareTyped,
  ensureNamedFieldsAreMembers,
  mergeTyped,
  removeItems,
  toFieldSet,
  typedErrorsText,
  validateTyped,
} from './typed';

/**
 * managedFields as kube-apiserver keeps them: the manager stack of k8s.io/apimachinery's
 * pkg/util/managedfields/internal (version check, last-applied upgrade, skip-non-applied,
 * capping, manager identities, timestamps, stripped metadata) over structured-merge-diff's
 * Updater (merge/update.go). Pure: objects in, objects and entries out.
 */

export type JsonObject = { [key: string]: Json };

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager kubectl apply --server-side uses; the only one the last-applied upgrade serves. */
const kubectlManager = 'kubectl';

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Managers by identity, with the time each last changed something. */
interface Managed {
  readonly fields: Map<string, VersionedSet>;
  readonly times: Map<string, string | undefined>;
}

const emptyManaged = (): Managed => ({ fields: new Map(), times: new Map() });
const copyManaged = (m: Managed): Managed => ({ fields: new Map(m.fields), times: new Map(m.times) });

interface ManagerInfo {
  readonly manager?: string;
  readonly operation?: string;
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/**
 * BuildManagerIdentifier: the entry without fields, type and time, as Go marshals it (fields in
 * struct order, empty ones left out); appliers without their API version.
 */
export function managerIdentity(info: ManagerInfo): string {
  const apiVersion = info.operation === 'Apply' ? undefined : info.apiVersion;
  return JSON.stringify({
    ...(info.manager ? { manager: info.manager } : {}),
    ...(info.operation ? { operation: info.operation } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    ...(info.subresource ? { subresource: info.subresource } : {}),
  });
}

const parseIdentity = (identity: string): ManagerInfo => {
  try {
    const parsed: unknown = JSON.parse(identity);
    return isObject(parsed) ? (parsed as ManagerInfo) : { manager: identity };
  } catch {
    return { manager: identity };
  }
};

/** DecodeManagedFields; throws when an entry is not one upstream would decode. */
function decodeManagedFields(entries: unknown): Managed {
  const managed = emptyManaged();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((entry: unknown, i) => {
    if (!isObject(entry)) throw new Error(`managed fields entry ${i} is not an object`);
    const { operation, apiVersion, fieldsType, manager, subresource, time } = entry;
    if (operation !== 'Apply' && operation !== 'Update')
      throw new Error('operation must be `Apply` or `Update`');
    if (typeof apiVersion !== 'string' || apiVersion === '') throw new Error('apiVersion must not be empty');
    if (fieldsType === undefined || fieldsType === '')
      throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (fieldsType !== 'FieldsV1')
      throw new Error(`invalid fieldsType ${goJson(fieldsType)} in managed fields entry ${i}`);
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const identity = managerIdentity({
      manager: text(manager),
      operation,
      apiVersion,
      subresource: text(subresource),
    });
    const set = entry.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(entry.fieldsV1);
    managed.fields.set(identity, { set, apiVersion, applied: operation === 'Apply' });
    managed.times.set(identity, text(time));
  });
  return managed;
}

const unixSeconds = (time: string | undefined) => (time ? Math.floor(Date.parse(time) / 1000) || 0 : 0);

/** encodeManagedFields: one entry per manager, sorted as sortEncodedManagedFields sorts them. */
function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries = [...managed.fields].map(([identity, versioned]): ManagedFieldsEntry => {
    const info = parseIdentity(identity);
    const time = managed.times.get(identity);
    return {
      ...(info.manager ? { manager: info.manager } : {}),
      operation: versioned.applied ? 'Apply' : (info.operation ?? 'Update'),
      apiVersion: versioned.apiVersion,
      ...(time ? { time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: versioned.set.toFieldsV1(),
      ...(info.subresource ? { subresource: info.subresource } : {}),
    };
  });
  const order = (a: string | undefined, b: string | undefined) =>
    (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
  return entries.sort(
    (p, q) =>
      order(p.operation, q.operation) ||
      unixSeconds(p.time) - unixSeconds(q.time) ||
      order(p.manager, q.manager) ||
      order(p.apiVersion, q.apiVersion) ||
      order(p.subresource, q.subresource),
  );
}

/** A set of fields other managers own that an apply would change. */
export interface Conflict {
  readonly manager: string;
  readonly path: Path;
}

class ConflictsError extends Error {
  constructor(readonly conflicts: readonly Conflict[]) {
    super('conflicts');
  }
}

/** printManager: `"kubectl"`, `"kubectl-edit" using v1`, `"x" with subresource "status" ...`. */
function printManager(identity: string): string {
  const info = parseIdentity(identity);
  let text = JSON.stringify(info.manager ?? '');
  if (info.subresource) text = `${text} with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === 'Update') text = `${text} using ${info.apiVersion ?? ''}`;
  return text;
}

/** NewConflictError: 409 Conflict, one cause per field, worded as kube-apiserver words it. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const [only] = conflicts as [Conflict];
    message = `Apply failed with 1 conflict: conflict with ${printManager(only.manager)}: ${pathString(only.path)}`;
  } else {
    const byManager = new Map<string, Path[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((m) => [
        `conflicts with ${printManager(m)}:`,
        ...(byManager.get(m) ?? []).map((p) => `- ${pathString(p)}`),
      ]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** What one endpoint's field manager needs to know about the objects it writes. */
export interface FieldManagerScope {
  readonly kind: ApplyKind;
  /** The kind's apiVersion: `v1`, `policy/v1`. */
  readonly apiVersion: string;
  readonly root: Atom;
  readonly subresource?: string;
  /**
   * The strategy's reset fields: what writes through this endpoint never own (a pod's status
   * through the pod; anything but the status through /status, which is all podplane lets that
   * subresource change).
   */
  readonly resetFields: (set: FieldSet) => FieldSet;
  /** The object a create starts from, as the Go type's zero value serializes. */
  readonly zero: JsonObject;
}

const statusOnly = FieldSet.of([{ field: 'status' }]);

export function fieldManagerScope(kind: ApplyKind, subresource?: 'status'): FieldManagerScope {
  const zero: JsonObject =
    kind === 'Pod'
      ? { metadata: { creationTimestamp: null }, spec: { containers: null }, status: {} }
      : { metadata: { creationTimestamp: null }, spec: {}, status: {} };
  return {
    kind,
    apiVersion: applyApiVersions[kind],
    root: rootAtom(kind),
    ...(subresource ? { subresource } : {}),
    resetFields:
      subresource === 'status' ? (set) => set.only(['status']) : (set) => set.recursiveDifference(statusOnly),
    zero,
  };
}

/** stripMetaManager's set: fields no manager owns. */
const strippedFields = FieldSet.of(
  ...[
    ['apiVersion'],
    ['kind'],
    ['metadata'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'creationTimestamp'],
    ['metadata', 'selfLink'],
    ['metadata', 'uid'],
    ['metadata', 'clusterName'],
    ['metadata', 'generation'],
    ['metadata', 'managedFields'],
    ['metadata', 'resourceVersion'],
  ].map((names) => names.map((field) => ({ field }))),
);

function stripMeta(managed: Managed, identity: string): void {
  const versioned = managed.fields.get(identity);
  if (!versioned) return;
  const set = versioned.set.difference(strippedFields);
  if (set.isEmpty()) managed.fields.delete(identity);
  else managed.fields.set(identity, { ...versioned, set });
}

/** The object as the typed operations see it: managedFields are bookkeeping, not fields. */
function typedView(object: JsonObject): JsonObject {
  const metadata = object.metadata;
  if (!isObject(metadata) || !Object.hasOwn(metadata, 'managedFields')) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}

const filterComparison = (scope: FieldManagerScope, c: ReturnType<typeof compareTyped>) => ({
  added: scope.resetFields(c.added),
  modified: scope.resetFields(c.modified),
  removed: scope.resetFields(c.removed),
});

/** Updater.update: the comparison, and every other manager losing what changed under it. */
function updateManagers(
  scope: FieldManagerScope,
  live: JsonObject,
  next: JsonObject,
  managed: Managed,
  workflow: string,
  force: boolean,
) {
  const compare = filterComparison(scope, compareTyped(live, next, scope.root));
  const changed = compare.modified.union(compare.added);
  const conflicts: Conflict[] = [];
  const lost = new Map<string, FieldSet>();
  for (const [identity, versioned] of [...managed.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (identity === workflow) continue;
    const conflictSet = versioned.set.intersection(changed);
    if (!conflictSet.isEmpty()) {
      lost.set(identity, conflictSet);
      for (const path of conflictSet.paths()) conflicts.push({ manager: identity, path });
    }
  }
  if (!force && conflicts.length > 0) throw new ConflictsError(conflicts);
  for (const [identity, versioned] of managed.fields) {
    if (identity === workflow) continue;
    const set = versioned.set.difference(lost.get(identity) ?? new FieldSet()).difference(compare.removed);
    if (set.isEmpty()) managed.fields.delete(identity);
    else managed.fields.set(identity, { ...versioned, set });
  }
  return compare;
}

const currentOperation = 'current-operation';

/**
 * An ordinary write (managedFieldsUpdater over Updater.Update): the manager gains every field the
 * write added or changed, others lose them, and everyone loses what was removed.
 */
function recordUpdate(
  scope: FieldManagerScope,
  live: JsonObject,
  next: JsonObject,
  managed: Managed,
  manager: string,
  now: string,
): void {
  const identity = managerIdentity({
    manager: manager || 'unknown',
    operation: 'Update',
    apiVersion: scope.apiVersion,
    subresource: scope.subresource,
  });
  const compare = updateManagers(scope, typedView(live), typedView(next), managed, currentOperation, true);
  const previous = managed.fields.get(currentOperation)?.set ?? new FieldSet();
  const set = scope.resetFields(
    previous.difference(compare.removed).union(compare.modified).union(compare.added),
  );
  managed.fields.set(currentOperation, { set, apiVersion: scope.apiVersion, applied: false });
  stripMeta(managed, currentOperation);
  const versioned = managed.fields.get(currentOperation);
  if (versioned) {
    managed.fields.delete(currentOperation);
    const before = managed.fields.get(identity);
    managed.fields.set(identity, {
      ...versioned,
      set: before ? versioned.set.union(before.set) : versioned.set,
    });
    managed.times.set(identity, now);
  }
  capUpdateManagers(managed);
}

export const maxUpdateManagers = 10;

/** capManagersManager: the oldest updaters beyond ten merge into `ancient-changes`. */
function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields].filter(([, v]) => !v.applied).map(([identity]) => identity);
  if (updaters.length <= maxUpdateManagers) return;
  updaters.sort(
    (a, b) =>
      unixSeconds(managed.times.get(a)) - unixSeconds(managed.times.get(b)) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > maxUpdateManagers; i++) {
    const identity = updaters[i] as string;
    const versioned = managed.fields.get(identity);
    if (!versioned) continue;
    const time = managed.times.get(identity);
    const bucket = managerIdentity({
      manager: 'ancient-changes',
      operation: 'Update',
      apiVersion: versioned.apiVersion,
    });
    const first = firstOfVersion.get(versioned.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(versioned.apiVersion, identity);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      const firstSet = managed.fields.get(first);
      managed.fields.delete(first);
      if (firstSet) managed.fields.set(bucket, firstSet);
    }
    const into = managed.fields.get(bucket);
    managed.fields.set(bucket, { ...versioned, set: versioned.set.union(into?.set ?? new FieldSet()) });
    managed.fields.delete(identity);
    managed.times.set(bucket, time);
    length--;
  }
}

const isResetManagedFields = (entries: unknown) =>
  Array.isArray(entries) &&
  (entries.length === 0 ||
    (entries.length === 1 &&
      isObject(entries[0]) &&
      Object.values(entries[0]).every((v) => v === undefined || v === '')));

const decodedOr = (entries: unknown): Managed | undefined => {
  try {
    return decodeManagedFields(entries);
  } catch {
    return undefined;
  }
};

const managedFieldsOf = (object: JsonObject | undefined): unknown =>
  isObject(object?.metadata) ? object.metadata.managedFields : undefined;

export interface UpdateInput {
  /** The object before the write; undefined for a create. */
  readonly live: JsonObject | undefined;
  /** The object the write stores (after the strategy), whatever managedFields it carries. */
  readonly next: JsonObject;
  /** The managedFields the request's object carried (a client may set them). */
  readonly requested: unknown;
  readonly manager: string;
  /** RFC 3339 time of the write. */
  readonly now: string;
}

/**
 * FieldManager.UpdateNoErrors for a create, update or non-apply patch: the managedFields the
 * written object gets. The request's own managedFields replace the live ones when they decode
 * (`[]` or `[{}]` clears them); on a subresource they are ignored. An existing object that tracks
 * nothing stays untracked, as upstream's skipNonAppliedManager leaves it.
 */
export function updateManagedFields(
  scope: FieldManagerScope,
  input: UpdateInput,
): ManagedFieldsEntry[] | undefined {
  const liveEntries = managedFieldsOf(input.live);
  let managed: Managed;
  if (scope.subresource) managed = decodedOr(liveEntries) ?? emptyManaged();
  else if (isResetManagedFields(input.requested)) managed = emptyManaged();
  else {
    const requested = decodedOr(input.requested);
    managed = requested && requested.fields.size > 0 ? requested : (decodedOr(liveEntries) ?? emptyManaged());
  }
  if (managed.fields.size === 0 && input.live !== undefined) return undefined;
  recordUpdate(scope, input.live ?? scope.zero, input.next, managed, input.manager, input.now);
  return encodeManagedFields(managed);
}

export interface ApplyInput {
  /** The object now; undefined when the apply creates it. */
  readonly live: JsonObject | undefined;
  /** The applied configuration, as parsed (nulls included). */
  readonly config: JsonObject;
  readonly manager: string;
  readonly force: boolean;
  readonly now: string;
}

export interface ApplyResult {
  /** The merged object, without managedFields; not defaulted yet. */
  readonly object: JsonObject;
  readonly managedFields: ManagedFieldsEntry[] | undefined;
}

/** `group/version, Kind=kind`, as a GroupVersionKind prints. */
function gvkOf(object: JsonObject): { text: string; matches: (scope: FieldManagerScope) => boolean } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const parts = apiVersion.split('/');
  const [group, version] =
    parts.length === 1
      ? ['', parts[0] ?? '']
      : parts.length === 2
        ? [parts[0] ?? '', parts[1] ?? '']
        : ['', ''];
  return {
    text: `${group}/${version}, Kind=${kind}`,
    matches: (scope) => apiVersion === scope.apiVersion && kind === scope.kind,
  };
}

/**
 * FieldManager.Apply: server-side apply of a configuration to the live object (or to nothing,
 * for a create). Throws 400 for a configuration that is not an object of the kind, and 409 for
 * fields other managers own with other values, unless forced.
 */
export function applyConfiguration(scope: FieldManagerScope, input: ApplyInput): ApplyResult {
  const { config, manager } = input;
  const gvk = gvkOf(config);
  if (!gvk.matches(scope)) throw badRequest(`invalid object type: ${gvk.text}`);
  const metadata = isObject(config.metadata) ? config.metadata : undefined;
  if (metadata?.managedFields !== undefined && metadata.managedFields !== null)
    throw badRequest('metadata.managedFields must be nil');
  const errors = validateTyped(config, scope.root);
  if (errors.length > 0) {
    const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : '';
    const name = typeof metadata?.name === 'string' ? metadata.name : '';
    throw badRequest(
      `failed to create typed patch object (${namespace}/${name}; ${gvk.text}): ${typedErrorsText(errors)}`,
    );
  }
  const live = typedView(input.live ?? scope.zero);
  let result: { object: JsonObject; managed: Managed };
  try {
    result = applyWithLastApplied(scope, input, live);
  } catch (error) {
    if (error instanceof ConflictsError) throw conflictError(error.conflicts);
    throw error;
  }
  let object = result.object;
  // lastAppliedUpdater: kubectl's server-side apply keeps a client-side apply's annotation current.
  if (manager === kubectlManager && lastAppliedOf(object)) object = withLastApplied(object, config);
  return { object, managedFields: encodeManagedFields(result.managed) };
}

/** lastAppliedManager: kubectl's first server-side apply may take over client-side apply's fields. */
function applyWithLastApplied(scope: FieldManagerScope, input: ApplyInput, live: JsonObject) {
  try {
    return applyOnce(scope, input, live, input.force);
  } catch (error) {
    if (!(error instanceof ConflictsError) || input.manager !== kubectlManager) throw error;
    const allowed = allowedConflictsFromLastApplied(scope, live);
    if (!allowed) throw error;
    const remaining = error.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw new ConflictsError(remaining);
    return applyOnce(scope, input, live, true);
  }
}

/**
 * The fields the last client-side apply set that still hold the value it set: those an apply by
 * kubectl may take over without a conflict (allowedConflictsFromLastApplied).
 */
function allowedConflictsFromLastApplied(scope: FieldManagerScope, live: JsonObject): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (!text) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== scope.apiVersion) return undefined;
  if (validateTyped(lastApplied, scope.root).length > 0) return undefined;
  const compare = compareTyped(lastApplied, live, scope.root);
  return toFieldSet(lastApplied, scope.root)
    .difference(compare.modified)
    .difference(compare.added)
    .difference(compare.removed);
}

function lastAppliedOf(object: JsonObject): string | undefined {
  const annotations = isObject(object.metadata) ? object.metadata.annotations : undefined;
  const value = isObject(annotations) ? annotations[lastAppliedAnnotation] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The total size Kubernetes allows an object's annotations (256 KiB). */
const maxAnnotationsBytes = 256 * 1024;

/**
 * buildLastApplied + SetLastApplied: the configuration without the annotation, as Go encodes an
 * unstructured object (sorted keys, a trailing newline); dropped if annotations would grow too big.
 */
function withLastApplied(object: JsonObject, config: JsonObject): JsonObject {
  const configMetadata = isObject(config.metadata) ? config.metadata : {};
  let recorded: JsonObject = config;
  if (isObject(configMetadata.annotations)) {
    const { [lastAppliedAnnotation]: _self, ...others } = configMetadata.annotations;
    recorded = { ...config, metadata: { ...configMetadata, annotations: others } };
  }
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const annotations: JsonObject = {
    ...(isObject(metadata.annotations) ? metadata.annotations : {}),
    [lastAppliedAnnotation]: `${goJson(recorded)}\n`,
  };
  const size = Object.entries(annotations).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : ''),
    0,
  );
  if (size > maxAnnotationsBytes) delete annotations[lastAppliedAnnotation];
  return { ...object, metadata: { ...metadata, annotations } };
}

/**
 * One apply through skipNonApplied, buildManagerInfo, managedFieldsUpdater and stripMeta over
 * Updater.Apply.
 */
function applyOnce(
  scope: FieldManagerScope,
  input: ApplyInput,
  live: JsonObject,
  force: boolean,
): { object: JsonObject; managed: Managed } {
  let managed = decodedOr(managedFieldsOf(input.live)) ?? emptyManaged();
  managed = copyManaged(managed);
  // skipNonAppliedManager: an object nobody tracked yet is first owned by `before-first-apply`.
  if (managed.fields.size === 0)
    recordUpdate(scope, scope.zero, live, managed, 'before-first-apply', input.now);
  const identity = managerIdentity({
    manager: input.manager,
    operation: 'Apply',
    subresource: scope.subresource,
  });
  const merged = updaterApply(scope, live, input.config, managed, identity, force);
  stripMeta(managed, identity);
  if (merged === undefined) return { object: live, managed };
  managed.times.set(identity, input.now);
  return { object: merged, managed };
}

/**
 * Updater.Apply: merge, take the configuration's fields, prune what this manager applied before
 * and no longer does (unless someone else owns it), and settle ownership. Undefined when the
 * object does not change.
 */
function updaterApply(
  scope: FieldManagerScope,
  live: JsonObject,
  config: JsonObject,
  managed: Managed,
  identity: string,
  force: boolean,
): JsonObject | undefined {
  const mergedValue = mergeTyped(live, config, scope.root);
  let merged: JsonObject = isObject(mergedValue) ? mergedValue : {};
  const lastSet = managed.fields.get(identity);
  const set = scope.resetFields(toFieldSet(config, scope.root));
  managed.fields.set(identity, { set, apiVersion: scope.apiVersion, applied: true });
  merged = prune(scope, merged, managed, lastSet?.set);
  updateManagers(scope, live, merged, managed, identity, force);
  return jsonEqual(live, merged) ? undefined : merged;
}

/**
 * Updater.prune: removes what the applier owned last time and does not apply now, unless another
 * manager (or this apply) owns it; fields nobody owns that it did not own stay.
 */
function prune(
  scope: FieldManagerScope,
  merged: JsonObject,
  managed: Managed,
  lastSet: FieldSet | undefined,
) {
  if (!lastSet || lastSet.isEmpty()) return merged;
  const named = (set: FieldSet) => ensureNamedFieldsAreMembers(set, scope.root);
  const fieldsOf = (object: Json) => named(toFieldSet(object, scope.root));
  const remove = (set: FieldSet): JsonObject => {
    const removed = removeItems(merged, set, scope.root);
    return isObject(removed) ? removed : {};
  };
  const last = named(lastSet);
  const pruned = remove(last);
  // addBackOwnedItems
  let owned = new FieldSet();
  for (const versioned of managed.fields.values()) owned = owned.union(versioned.set);
  const mergedSet = fieldsOf(merged);
  const ownedBack = remove(mergedSet.difference(fieldsOf(pruned).union(named(owned))));
  // addBackDanglingItems
  return remove(mergedSet.difference(fieldsOf(ownedBack)).intersection(last));
}

type WithManagedFields = { metadata?: { managedFields?: ManagedFieldsEntry[] } };

/**
 * The object a write stores: `next` with the managedFields its write computed (none left when
 * there are none). A write that changes nothing but timestamps keeps the old ones
 * (IgnoreManagedFieldsTimestampsTransformer), so a repeated apply is not a write.
 */
export function withManagedFields<T extends WithManagedFields>(
  next: T,
  entries: ManagedFieldsEntry[] | undefined,
  live: T,
): T {
  const { managedFields: _previous, ...metadata } = next.metadata ?? {};
  const written = { ...next, metadata: { ...metadata, ...(entries ? { managedFields: entries } : {}) } };
  const before = live.metadata?.managedFields ?? [];
  const after = entries ?? [];
  if (before.length !== after.length || after.length === 0) return written;
  const withoutTime = (list: readonly ManagedFieldsEntry[]) => list.map(({ time: _t, ...rest }) => rest);
  if (!jsonEqual(withoutTime(before), withoutTime(after))) return written;
  const strip = (object: T) => ({ ...object, metadata: { ...object.metadata, managedFields: undefined } });
  if (!jsonEqual(strip(written), strip(live))) return written;
  return { ...written, metadata: { ...written.metadata, managedFields: before } };
}
