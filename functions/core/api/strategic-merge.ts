import { setOwn } from './decode';

/**
 * Strategic merge patch of a Pod or a Namespace (k8s.io/apimachinery/pkg/util/strategicpatch, with the patch
 * strategies k8s.io/api declares on core/v1): a JSON merge patch, except that the lists declared
 * `patchStrategy: merge` merge item by item on their merge key instead of being replaced. This is
 * what `kubectl set image` and `kubectl patch` (by default) send: only the changed container,
 * named by its key, e.g. `{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}`.
 *
 * Directives: `$patch: replace` (a map or list replaced, not merged), `$patch: delete` (a list
 * item removed by its key), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and
 * `$retainKeys`. Lists without a strategy (tolerations, command, args, ...) are replaced, as
 * in Kubernetes.
 */

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Merge keys of the merging lists of objects (a Pod's; ObjectMeta's serve Namespaces too), by path. */
const mergeKeys: Readonly<Record<string, string>> = {
  'metadata.ownerReferences': 'uid',
  'metadata.managedFields': 'manager',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'spec.topologySpreadConstraints': 'topologyKey',
  'spec.resourceClaims': 'name',
  'spec.schedulingGates': 'name',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
  ...Object.fromEntries(
    ['containers', 'initContainers', 'ephemeralContainers'].flatMap((list) => [
      [`spec.${list}`, 'name'],
      [`spec.${list}.ports`, 'containerPort'],
      [`spec.${list}.env`, 'name'],
      [`spec.${list}.volumeMounts`, 'mountPath'],
      [`spec.${list}.volumeDevices`, 'devicePath'],
    ]),
  ),
};

/** Merging lists of primitives: items are added to the list (a set), not replacing it. */
const primitiveMergeLists = new Set(['metadata.finalizers']);

export function strategicMerge(target: unknown, patch: unknown): unknown {
  return mergeValue(target, patch, '');
}

function mergeValue(target: unknown, patch: unknown, path: string): unknown {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const at = path ? `${path}.${key}` : key;
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    if (value === null) delete result[key];
    else if (Array.isArray(value) && mergeKeys[at] !== undefined)
      setOwn(result, key, mergeList(current, value, mergeKeys[at], at));
    else if (Array.isArray(value) && primitiveMergeLists.has(at))
      setOwn(result, key, [
        ...(Array.isArray(current) ? current : []),
        ...value.filter((v) => !(Array.isArray(current) && current.includes(v))),
      ]);
    else if (Array.isArray(value)) setOwn(result, key, value.map(withoutDirectives));
    else setOwn(result, key, mergeValue(current, value, at));
  }
  for (const [directive, value] of Object.entries(patch)) {
    const [name, key = ''] = directive.split('/');
    const list = result[key];
    if (name === '$deleteFromPrimitiveList' && Array.isArray(list) && Array.isArray(value))
      setOwn(
        result,
        key,
        list.filter((v) => !value.includes(v)),
      );
    if (name === '$setElementOrder' && Array.isArray(list) && Array.isArray(value))
      setOwn(result, key, inOrder(list, value, mergeKeys[path ? `${path}.${key}` : key]));
  }
  if (Array.isArray(patch.$retainKeys))
    for (const key of Object.keys(result))
      if (!patch.$retainKeys.includes(key) && !Object.hasOwn(patch, key)) delete result[key];
  return result;
}

/** Items merge with the item of the same key; `{$patch: delete}` removes it; new ones append. */
function mergeList(current: unknown, patch: readonly unknown[], key: string, path: string): unknown[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1))
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map(withoutDirectives);
  const result = Array.isArray(current) ? [...current] : [];
  for (const item of patch) {
    if (!isObject(item) || item[key] === undefined) {
      result.push(withoutDirectives(item));
      continue;
    }
    const at = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = mergeValue(result[at], item, path);
    else result.push(mergeValue(undefined, item, path));
  }
  return result;
}

/** The items named in `order` (by merge key, or by value) in that order, then the others. */
function inOrder(list: readonly unknown[], order: readonly unknown[], key: string | undefined): unknown[] {
  const idOf = (item: unknown) => (key && isObject(item) ? item[key] : item);
  const ids = order.map(idOf);
  const rank = (item: unknown) => {
    const at = ids.indexOf(idOf(item));
    return at === -1 ? ids.length : at;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}

function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value))
    if (!key.startsWith('$')) setOwn(result, key, withoutDirectives(item));
  return result;
}
