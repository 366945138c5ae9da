import { jsonEqual } from '../../equal';
import {
  FieldSet,
  goJson,
  type Json,
  type KeyField,
  type Path,
  type PathElement,
  pathElementString,
  pathString,
  sortedKey,
} from './fieldpath';
import { type Atom, fieldAtom, keyDefault } from './schema';

/**
 * The typed operations of structured-merge-diff (package typed) over JSON values and the
 * schema of schema.ts: validating an applied configuration, the set of fields a value sets,
 * merging a configuration into a live object, comparing two objects, and removing fields.
 * `undefined` stands for a field that is absent, `null` for one that is there and null.
 */

type Value = Json | undefined;
type ListAtom = Atom & { kind: 'list' };

const isObject = (value: unknown): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const entries = (value: { [key: string]: Json }) =>
  Object.entries(value).filter((entry): entry is [string, Json] => entry[1] !== undefined);

const isEmpty = (value: unknown) =>
  value === undefined ||
  (Array.isArray(value) && value.length === 0) ||
  (isObject(value) && entries(value).length === 0);

const anyAtom: Atom = { kind: 'any' };

/** The atom below a struct field or map entry; unknown struct fields hold anything. */
function childAtom(atom: Atom, name: string): Atom {
  if (atom.kind === 'struct') return fieldAtom(atom, name) ?? anyAtom;
  if (atom.kind === 'map') return atom.values;
  return anyAtom;
}

/**
 * The element naming a list item: its key fields (defaults filling in those it leaves out) in a
 * list map, its value in a set. A string is the reason there is none.
 */
export function listItemElement(atom: ListAtom, item: Json): PathElement | string {
  const listType = atom.listType;
  if (listType === 'atomic') return 'invalid indexing of non-associative list';
  if (listType === 'set') {
    if (isObject(item)) return "associative list without keys has an element that's a map type";
    if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
    if (item === null) return "associative list without keys has an element that's an explicit null";
    return { value: item };
  }
  if (item === null) return 'associative list with keys may not have a null element';
  if (!isObject(item)) return 'associative list with keys may not have non-map elements';
  const fields: KeyField[] = [];
  for (const name of listType.keys) {
    const given = Object.hasOwn(item, name) ? item[name] : undefined;
    const value = given !== undefined ? given : keyDefault(atom.items, name);
    if (value !== undefined) fields.push([name, value]);
  }
  if (listType.keys.length > 0 && fields.length === 0)
    return `associative list with keys has an element that omits all key fields [${listType.keys.map((k) => JSON.stringify(k)).join(' ')}] (and doesn't have default values for any key fields)`;
  return { key: sortedKey(fields) };
}

export interface TypedError {
  readonly path: Path;
  readonly message: string;
}

/** Go's %T of a decoded JSON value, as the numeric check names it. */
const goType = (value: Json) =>
  typeof value === 'string'
    ? 'string'
    : typeof value === 'boolean'
      ? 'bool'
      : Array.isArray(value)
        ? '[]interface {}'
        : isObject(value)
          ? 'map[string]interface {}'
          : 'float64';

const shown = (value: Json) => {
  const text = goJson(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function scalarError(scalar: string, value: Json): string | undefined {
  switch (scalar) {
    case 'numeric':
      return typeof value === 'number' ? undefined : `expected numeric (int or float), got ${goType(value)}`;
    case 'string':
      return typeof value === 'string' ? undefined : `expected string, got ${shown(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected boolean, got ${shown(value)}`;
    default:
      return isObject(value) || Array.isArray(value) ? `expected any scalar, got ${shown(value)}` : undefined;
  }
}

/**
 * Checks a value against the schema as ParseableType.FromUnstructured does before an apply:
 * every field declared, every value of its type, every list-map item with its keys, and no two
 * items with the same key. Nulls are allowed anywhere a value is.
 */
export function validateTyped(value: Json, atom: Atom, path: Path = []): TypedError[] {
  const errors: TypedError[] = [];
  const walk = (v: Json, a: Atom, at: Path): void => {
    if (v === null || a.kind === 'any') return;
    switch (a.kind) {
      case 'scalar': {
        const message = scalarError(a.scalar, v);
        if (message) errors.push({ path: at, message });
        return;
      }
      case 'struct':
      case 'map': {
        if (!isObject(v)) {
          errors.push({ path: at, message: `expected map, got ${shown(v)}` });
          return;
        }
        for (const [key, child] of entries(v)) {
          const fieldPath = [...at, { field: key }];
          const next = a.kind === 'struct' ? fieldAtom(a, key) : a.values;
          if (!next) {
            // As upstream, the first undeclared field ends the walk of its object.
            errors.push({ path: fieldPath, message: 'field not declared in schema' });
            return;
          }
          walk(child, next, fieldPath);
        }
        return;
      }
      case 'list': {
        if (!Array.isArray(v)) {
          errors.push({ path: at, message: `expected list, got ${shown(v)}` });
          return;
        }
        const seen = new Set<string>();
        for (let i = 0; i < v.length; i++) {
          const item = v[i] as Json;
          let pe: PathElement = { index: i };
          if (a.listType !== 'atomic') {
            const element = listItemElement(a, item);
            if (typeof element === 'string') {
              errors.push({ path: at, message: `element ${i}: ${element}` });
              return;
            }
            pe = element;
            const key = pathElementString(pe);
            if (seen.has(key))
              errors.push({ path: at, message: `duplicate entries for key ${pathString([pe])}` });
            seen.add(key);
          }
          walk(item, a.items, [...at, pe]);
        }
      }
    }
  };
  walk(value, atom, path);
  return errors;
}

/** ValidationErrors.Error(): one error on its own, several as a list. */
export function typedErrorsText(errors: readonly TypedError[]): string {
  const one = (e: TypedError) => (e.path.length === 0 ? e.message : `${pathString(e.path)}: ${e.message}`);
  if (errors.length === 1) return one(errors[0] as TypedError);
  return ['errors:', ...errors.map((e) => `  ${one(e)}`)].join('\n');
}

/**
 * TypedValue.ToFieldSet: the fields a value sets. Scalars, atomic lists and maps, list items,
 * map entries, and struct fields that are null or empty objects are members; a struct field with
 * content is only the parent of its children. Items appearing twice are members, not descended.
 */
export function toFieldSet(value: Json, atom: Atom): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, a: Atom, at: Path): void => {
    switch (a.kind) {
      case 'any':
      case 'scalar':
        set.insert(at);
        return;
      case 'struct':
      case 'map':
        if (a.atomic) {
          set.insert(at);
          return;
        }
        if (!isObject(v)) return;
        for (const [key, child] of entries(v)) {
          const fieldPath = [...at, { field: key }];
          walk(child, childAtom(a, key), fieldPath);
          if (child === null || (isObject(child) && entries(child).length === 0)) set.insert(fieldPath);
          else if (a.kind === 'map') set.insert(fieldPath);
        }
        return;
      case 'list': {
        if (a.listType === 'atomic') {
          set.insert(at);
          return;
        }
        if (!Array.isArray(v)) return;
        const elements = v.map((item) => listItemElement(a, item));
        const seen = new Set<string>();
        const duplicates = new Set<string>();
        for (const pe of elements) {
          if (typeof pe === 'string') continue;
          const key = pathElementString(pe);
          if (seen.has(key) && !duplicates.has(key)) {
            set.insert([...at, pe]);
            duplicates.add(key);
          }
          seen.add(key);
        }
        v.forEach((item, i) => {
          const pe = elements[i];
          if (typeof pe === 'string' || pe === undefined || duplicates.has(pathElementString(pe))) return;
          walk(item, a.items, [...at, pe]);
          set.insert([...at, pe]);
        });
      }
    }
  };
  walk(value, atom, []);
  return set;
}

/**
 * TypedValue.Merge: the configuration (rhs) merged into the live object (lhs). Scalars, atomic
 * lists and atomic maps take the configuration's value; structs and granular maps merge field by
 * field; list maps and sets merge item by item, keeping the live order and placing new items
 * where the configuration puts them relative to the items both have.
 */
export function mergeTyped(lhs: Value, rhs: Value, atom: Atom): Value {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  switch (atom.kind) {
    case 'any':
    case 'scalar':
      return rhs;
    case 'struct':
    case 'map': {
      const l = isObject(lhs) ? lhs : undefined;
      const r = isObject(rhs) ? rhs : undefined;
      if (atom.atomic || (isEmpty(l) && isEmpty(r))) return rhs;
      const out: { [key: string]: Json } = {};
      const keys = [...new Set([...(l ? Object.keys(l) : []), ...(r ? Object.keys(r) : [])])];
      for (const key of keys) {
        const merged = mergeTyped(l?.[key], r?.[key], childAtom(atom, key));
        if (merged !== undefined)
          Object.defineProperty(out, key, {
            value: merged,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    case 'list': {
      const l = Array.isArray(lhs) ? lhs : undefined;
      const r = Array.isArray(rhs) ? rhs : undefined;
      if (atom.listType === 'atomic' || (isEmpty(l) && isEmpty(r))) return rhs;
      const merged = mergeListItems(atom, l ?? [], r ?? []);
      return merged === undefined ? rhs : merged.length > 0 ? merged : undefined;
    }
  }
}

/** mergingWalker.visitListItems; undefined when an item has no element (kept atomic). */
function mergeListItems(atom: ListAtom, lhs: readonly Json[], rhs: readonly Json[]): Json[] | undefined {
  const index = (list: readonly Json[], allowDuplicates: boolean) => {
    const pes: PathElement[] = [];
    const observed = new Map<string, Json>();
    for (const item of list) {
      const pe = listItemElement(atom, item);
      if (typeof pe === 'string') return undefined;
      const key = pathElementString(pe);
      if (observed.has(key)) {
        if (!allowDuplicates) continue;
        observed.set(key, null);
      } else observed.set(key, item);
      pes.push(pe);
    }
    return { pes, observed };
  };
  const right = index(rhs, false);
  const left = index(lhs, true);
  if (!right || !left) return undefined;
  const keyOf = pathElementString;
  const sharedOrder = right.pes.filter((pe) => left.observed.has(keyOf(pe)));
  let nextShared = sharedOrder.shift();
  const mergedRight = new Set<string>();
  const out: Json[] = [];
  const push = (value: Value) => {
    if (value !== undefined) out.push(value);
  };
  let li = 0;
  let ri = 0;
  while (li < left.pes.length || ri < right.pes.length) {
    if (li < left.pes.length && ri < right.pes.length) {
      const pe = keyOf(left.pes[li] as PathElement);
      if (pe === keyOf(right.pes[ri] as PathElement)) {
        mergedRight.add(pe);
        push(mergeTyped(left.observed.get(pe), right.observed.get(pe), atom.items));
        li++;
        ri++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (right.observed.has(pe) && nextShared !== undefined && keyOf(nextShared) !== pe) {
        li++;
        continue;
      }
    }
    if (li < left.pes.length) {
      const pe = keyOf(left.pes[li] as PathElement);
      if (!right.observed.has(pe)) {
        push(mergeTyped(lhs[li], undefined, atom.items));
        li++;
        continue;
      }
      if (mergedRight.has(pe)) li++;
    }
    if (ri < right.pes.length) {
      const pe = keyOf(right.pes[ri] as PathElement);
      mergedRight.add(pe);
      push(mergeTyped(left.observed.get(pe), right.observed.get(pe), atom.items));
      ri++;
      if (nextShared !== undefined && keyOf(nextShared) === pe) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/**
 * TypedValue.Compare: the fields the new object added, modified (leaves whose value changed) and
 * removed; a struct, map or list item that appears or disappears is itself added or removed.
 */
export function compareTyped(lhs: Json, rhs: Json, atom: Atom): Comparison {
  const added = new FieldSet();
  const modified = new FieldSet();
  const removed = new FieldSet();
  const walk = (l: Value, r: Value, a: Atom, at: Path): void => {
    let inLeaf = false;
    const leaf = () => {
      inLeaf = true;
      if (l === undefined) added.insert(at);
      else if (r === undefined) removed.insert(at);
      else if (!jsonEqual(l, r)) modified.insert(at);
    };
    switch (a.kind) {
      case 'any':
      case 'scalar':
        leaf();
        break;
      case 'struct':
      case 'map': {
        const lm = isObject(l) ? l : undefined;
        const rm = isObject(r) ? r : undefined;
        if (a.atomic || (isEmpty(lm) && isEmpty(rm))) {
          leaf();
          break;
        }
        const keys = new Set([...(lm ? entries(lm) : []), ...(rm ? entries(rm) : [])].map(([k]) => k));
        for (const key of keys) walk(lm?.[key], rm?.[key], childAtom(a, key), [...at, { field: key }]);
        break;
      }
      case 'list': {
        const ll = Array.isArray(l) ? l : undefined;
        const rl = Array.isArray(r) ? r : undefined;
        if (a.listType === 'atomic' || (isEmpty(ll) && isEmpty(rl))) {
          leaf();
          break;
        }
        compareListItems(a, ll ?? [], rl ?? [], at);
        break;
      }
    }
    if (!inLeaf && at.length > 0) {
      if (l === undefined) added.insert(at);
      else if (r === undefined) removed.insert(at);
    }
  };
  const compareListItems = (a: ListAtom, l: readonly Json[], r: readonly Json[], at: Path) => {
    const order = new Map<string, PathElement>();
    const gather = (list: readonly Json[]) => {
      const values = new Map<string, Json[]>();
      for (const item of list) {
        const pe = listItemElement(a, item);
        if (typeof pe === 'string') continue;
        const key = pathElementString(pe);
        const seen = values.get(key);
        if (seen) seen.push(item);
        else {
          values.set(key, [item]);
          if (!order.has(key)) order.set(key, pe);
        }
      }
      return values;
    };
    const lv = gather(l);
    const rv = gather(r);
    for (const [key, pe] of order) {
      const ls = lv.get(key) ?? [];
      const rs = rv.get(key) ?? [];
      const itemPath = [...at, pe];
      if (ls.length <= 1 && rs.length <= 1) walk(ls[0], rs[0], a.items, itemPath);
      else if (ls.length >= 2 && rs.length >= 2) {
        if (!jsonEqual(ls, rs)) modified.insert(itemPath);
      } else if (ls.length >= 2) {
        if (rs.length > 0) walk(undefined, rs[0], a.items, itemPath);
        removed.insert(itemPath);
      } else {
        if (ls.length > 0) walk(ls[0], undefined, a.items, itemPath);
        added.insert(itemPath);
      }
    }
  };
  walk(lhs, rhs, atom, []);
  return { added, modified, removed };
}

/**
 * TypedValue.RemoveItems: the value without the fields and items in the set. What is emptied
 * becomes null, as upstream leaves it (a decoder then leaves the field out).
 */
export function removeItems(value: Json, toRemove: FieldSet, atom: Atom): Json {
  switch (atom.kind) {
    case 'any':
    case 'scalar':
      return value;
    case 'list': {
      if (!Array.isArray(value) || value.length === 0 || atom.listType === 'atomic') return null;
      const out: Json[] = [];
      for (const item of value) {
        const pe = listItemElement(atom, item);
        if (typeof pe === 'string') {
          out.push(item);
          continue;
        }
        if (toRemove.has([pe])) continue;
        const below = toRemove.withPrefix(pe);
        out.push(below.isEmpty() ? item : removeItems(item, below, atom.items));
      }
      return out.length > 0 ? out : null;
    }
    case 'struct':
    case 'map': {
      if (!isObject(value) || entries(value).length === 0 || atom.atomic) return null;
      const out: { [key: string]: Json } = {};
      for (const [key, child] of entries(value)) {
        const pe = { field: key };
        if (toRemove.has([pe])) continue;
        const below = toRemove.withPrefix(pe);
        const kept = below.isEmpty() ? child : removeItems(child, below, childAtom(atom, key));
        Object.defineProperty(out, key, {
          value: kept,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return Object.keys(out).length > 0 ? out : null;
    }
  }
}

/**
 * Set.EnsureNamedFieldsAreMembers: the set plus every struct field on the way to its members
 * (a set owning `a.b.c` also owns `a` and `a.b` when they are named fields, but not map keys).
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, atom: Atom): FieldSet {
  const out = new FieldSet();
  const walk = (s: FieldSet, a: Atom | undefined, prefix: Path): void => {
    for (const pe of s.members()) out.insert([...prefix, pe]);
    for (const node of s.children()) {
      const at = [...prefix, node.pe];
      let next: Atom | undefined;
      if ('field' in node.pe && a?.kind === 'struct') {
        next = fieldAtom(a, node.pe.field);
        if (next) out.insert(at);
      } else if ('field' in node.pe && a?.kind === 'map') next = a.values;
      else if ('key' in node.pe && a?.kind === 'list') next = a.items;
      walk(node.set, next, at);
    }
  };
  walk(set, atom, []);
  return out;
}
