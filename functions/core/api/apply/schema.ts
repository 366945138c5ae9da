import type { FieldSchema, ObjectSchemas } from '../object-schema';
import schemas from '../object-schema.generated.json' with { type: 'json' };
import type { Json } from './fieldpath';

/**
 * The schema structured-merge-diff merges and tracks ownership with: the field tree of
 * object-schema.generated.json (from kubernetes-types), plus what that package leaves out and
 * the API's OpenAPI carries as extensions: which lists are maps keyed by some of their items'
 * fields, which are sets, and which structs and maps are atomic (owned and replaced whole).
 */

export type Scalar = 'numeric' | 'string' | 'boolean' | 'untyped';

/** `atomic` lists are replaced whole; `set`s of scalars and keyed maps merge item by item. */
export type ListType = 'atomic' | 'set' | { readonly keys: readonly string[] };

export type Atom =
  | { readonly kind: 'scalar'; readonly scalar: Scalar }
  /** Holds any JSON and is owned as a whole (FieldsV1). */
  | { readonly kind: 'any' }
  | { readonly kind: 'struct'; readonly ref: string; readonly atomic: boolean }
  | { readonly kind: 'map'; readonly values: Atom; readonly atomic: boolean }
  | { readonly kind: 'list'; readonly items: Atom; readonly listType: ListType };

/**
 * Lists that are not atomic, from the `+listType=map` / `+listMapKey=` and `+listType=set` tags
 * of k8s.io/api/core/v1/types.go and k8s.io/apimachinery/pkg/apis/meta/v1/types.go (Kubernetes
 * 1.30), for the types podplane serves. Every other list is atomic: upstream tags it
 * `+listType=atomic` or leaves it untagged, and kube-openapi's schemaconv treats an untagged list
 * as atomic (tolerations, args, command, envFrom, readinessGates and the status lists of
 * container statuses are all atomic). EphemeralContainer repeats Container's tags through
 * EphemeralContainerCommon.
 */
const listTypes: Readonly<Record<string, ListType>> = {
  'meta/v1.ObjectMeta.finalizers': 'set',
  'meta/v1.ObjectMeta.ownerReferences': { keys: ['uid'] },
  'core/v1.PodSpec.containers': { keys: ['name'] },
  'core/v1.PodSpec.initContainers': { keys: ['name'] },
  'core/v1.PodSpec.ephemeralContainers': { keys: ['name'] },
  'core/v1.PodSpec.imagePullSecrets': { keys: ['name'] },
  'core/v1.PodSpec.volumes': { keys: ['name'] },
  'core/v1.PodSpec.hostAliases': { keys: ['ip'] },
  'core/v1.PodSpec.resourceClaims': { keys: ['name'] },
  'core/v1.PodSpec.schedulingGates': { keys: ['name'] },
  'core/v1.PodSpec.topologySpreadConstraints': { keys: ['topologyKey', 'whenUnsatisfiable'] },
  'core/v1.Container.ports': { keys: ['containerPort', 'protocol'] },
  'core/v1.Container.env': { keys: ['name'] },
  'core/v1.Container.volumeMounts': { keys: ['mountPath'] },
  'core/v1.Container.volumeDevices': { keys: ['devicePath'] },
  'core/v1.EphemeralContainer.ports': { keys: ['containerPort', 'protocol'] },
  'core/v1.EphemeralContainer.env': { keys: ['name'] },
  'core/v1.EphemeralContainer.volumeMounts': { keys: ['mountPath'] },
  'core/v1.EphemeralContainer.volumeDevices': { keys: ['devicePath'] },
  'core/v1.ResourceRequirements.claims': { keys: ['name'] },
  'core/v1.PodStatus.conditions': { keys: ['type'] },
  'core/v1.PodStatus.podIPs': { keys: ['ip'] },
  'core/v1.PodStatus.resourceClaimStatuses': { keys: ['name'] },
  'core/v1.ContainerStatus.volumeMounts': { keys: ['mountPath'] },
  'core/v1.NamespaceStatus.conditions': { keys: ['type'] },
  'core/v1.NodeSpec.podCIDRs': 'set',
  'core/v1.NodeStatus.conditions': { keys: ['type'] },
  'policy/v1.PodDisruptionBudgetStatus.conditions': { keys: ['type'] },
};

/** Types tagged `+structType=atomic` in the same files: a reference is owned as one value. */
const atomicStructs: ReadonlySet<string> = new Set([
  'meta/v1.OwnerReference',
  'meta/v1.LabelSelector',
  'core/v1.NodeSelector',
  'core/v1.NodeSelectorTerm',
  'core/v1.ConfigMapKeySelector',
  'core/v1.SecretKeySelector',
  'core/v1.ObjectFieldSelector',
  'core/v1.ResourceFieldSelector',
  'core/v1.LocalObjectReference',
  'core/v1.TypedLocalObjectReference',
]);

/** Maps tagged `+mapType=atomic`; every other map (labels, annotations) is granular. */
const atomicMaps: ReadonlySet<string> = new Set(['core/v1.PodSpec.nodeSelector']);

/**
 * Defaults of list-map key fields (`+default=`), which an item may leave out: a port without a
 * protocol is the TCP entry.
 */
const keyDefaults: Readonly<Record<string, Json>> = { 'core/v1.ContainerPort.protocol': 'TCP' };

const known = schemas as unknown as ObjectSchemas;

const scalars: Readonly<Record<string, Scalar | 'any'>> = {
  string: 'string',
  integer: 'numeric',
  boolean: 'boolean',
  'int-or-string': 'untyped',
  quantity: 'untyped',
  any: 'any',
};

function atomOf(schema: FieldSchema, site: string): Atom {
  switch (schema.kind) {
    case 'scalar': {
      const scalar = scalars[schema.type] ?? 'untyped';
      return scalar === 'any' ? { kind: 'any' } : { kind: 'scalar', scalar };
    }
    case 'object':
      return { kind: 'struct', ref: schema.ref, atomic: atomicStructs.has(schema.ref) };
    case 'map':
      return { kind: 'map', values: atomOf(schema.values, `${site}[]`), atomic: atomicMaps.has(site) };
    case 'list':
      return {
        kind: 'list',
        items: atomOf(schema.items, `${site}[]`),
        listType: listTypes[site] ?? 'atomic',
      };
  }
}

const fieldCache = new Map<string, Atom | undefined>();

/** The atom of a struct's field; undefined when the struct has no such field. */
export function fieldAtom(struct: Atom & { kind: 'struct' }, name: string): Atom | undefined {
  const site = `${struct.ref}.${name}`;
  if (fieldCache.has(site)) return fieldCache.get(site);
  const fields = known.types[struct.ref] ?? {};
  const schema = Object.hasOwn(fields, name) ? fields[name] : undefined;
  const atom = schema ? atomOf(schema, site) : undefined;
  fieldCache.set(site, atom);
  return atom;
}

/** The default of a list-map key field, if it has one. */
export function keyDefault(item: Atom, field: string): Json | undefined {
  return item.kind === 'struct' ? keyDefaults[`${item.ref}.${field}`] : undefined;
}

export type ApplyKind = 'Pod' | 'Namespace' | 'Node' | 'PodDisruptionBudget';

/** The apiVersion a kind is served at. */
export const applyApiVersions: Readonly<Record<ApplyKind, string>> = {
  Pod: 'v1',
  Namespace: 'v1',
  Node: 'v1',
  PodDisruptionBudget: 'policy/v1',
};

/** The top of a kind's tree. */
export function rootAtom(kind: ApplyKind): Atom {
  const ref = known.roots[kind];
  if (!ref) throw new Error(`no schema for ${kind}`);
  return { kind: 'struct', ref, atomic: false };
}
