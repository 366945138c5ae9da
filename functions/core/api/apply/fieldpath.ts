/**
 * Field paths and field sets, as structured-merge-diff (sigs.k8s.io/structured-merge-diff,
 * package fieldpath) defines them: the vocabulary of managedFields. A path is a list of
 * elements: a struct field or map key (`f:name`), a list-map entry by its keys
 * (`k:{"name":"app"}`), a set member (`v:"x"`) or a list index (`i:0`). A set is a trie of paths
 * whose nodes are *members* (owned as a whole) and/or have *children*; `FieldsV1` is its JSON.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type KeyField = readonly [name: string, value: Json];

export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly KeyField[] }
  | { readonly value: Json }
  | { readonly index: number };

export type Path = readonly PathElement[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Go's strings.Compare (byte order for the ASCII that field names are made of). */
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * value.Compare: a total order over JSON values, numbers first (ints and floats numerically),
 * then strings, booleans, lists, maps, and null last.
 */
export function compareValues(a: Json, b: Json): number {
  const rank = (v: Json) =>
    typeof v === 'number'
      ? 0
      : typeof v === 'string'
        ? 1
        : typeof v === 'boolean'
          ? 2
          : Array.isArray(v)
            ? 3
            : v === null
              ? 5
              : 4;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i] as Json, b[i] as Json);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) return compareStrings(goJson(a), goJson(b));
  return 0;
}

/** PathElement.Compare: field names first, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const kind = (pe: PathElement) => ('field' in pe ? 0 : 'key' in pe ? 1 : 'value' in pe ? 2 : 3);
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb) return ka - kb;
  if ('field' in a && 'field' in b) return compareStrings(a.field, b.field);
  if ('key' in a && 'key' in b) {
    // value.FieldList.Compare: shorter lists first, then field by field.
    if (a.key.length !== b.key.length) return a.key.length - b.key.length;
    for (let i = 0; i < a.key.length; i++) {
      const [an, av] = a.key[i] as KeyField;
      const [bn, bv] = b.key[i] as KeyField;
      const c = compareStrings(an, bn) || compareValues(av, bv);
      if (c !== 0) return c;
    }
    return 0;
  }
  if ('value' in a && 'value' in b) return compareValues(a.value, b.value);
  if ('index' in a && 'index' in b) return a.index - b.index;
  return 0;
}

/**
 * JSON as Go's encoding/json writes it: object keys sorted, and `<`, `>`, `&`, U+2028, U+2029
 * escaped. Key elements (`k:{...}`) and the last-applied annotation are written this way.
 */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort(compareStrings)
              .filter((k) => v[k] !== undefined)
              .map((k) => [k, sorted(v[k])]),
          )
        : v;
  return JSON.stringify(sorted(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The element as FieldsV1 writes it: `f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`. */
export function pathElementString(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('key' in pe) return `k:${goJson(Object.fromEntries(pe.key))}`;
  if ('value' in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
}

/** Reads an element of FieldsV1; undefined for an unknown prefix (skipped, as upstream does). */
export function parsePathElement(text: string): PathElement | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) throw new Error(`missing colon: ${text}`);
  const body = text.slice(colon + 1);
  switch (text.slice(0, colon)) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: JSON.parse(body) as Json };
    case 'i': {
      const index = Number(body);
      if (!/^-?\d+$/.test(body) || !Number.isSafeInteger(index)) throw new Error(`invalid index: ${body}`);
      return { index };
    }
    case 'k': {
      const parsed: unknown = JSON.parse(body);
      if (!isObject(parsed)) throw new Error(`invalid key: ${body}`);
      return { key: sortedKey(Object.entries(parsed) as [string, Json][]) };
    }
    default:
      return undefined;
  }
}

export const sortedKey = (fields: readonly KeyField[]): readonly KeyField[] =>
  [...fields].sort(([a], [b]) => compareStrings(a, b));

/** Go's %q for the strings paths show; JSON's quoting agrees with it for printable text. */
const quote = (value: Json) => (typeof value === 'string' ? JSON.stringify(value) : goJson(value));

/** Path.String: `.metadata.labels.app`, `.spec.containers[name="app"].image`, `[=x]`, `[0]`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      if ('field' in pe) return `.${pe.field}`;
      if ('key' in pe) return `[${pe.key.map(([n, v]) => `${n}=${quote(v)}`).join(',')}]`;
      if ('value' in pe) return `[=${quote(pe.value)}]`;
      return `[${pe.index}]`;
    })
    .join('');
}

interface Node {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * A set of field paths (fieldpath.Set). Immutable once built: every operation returns a new set,
 * and a child node is never empty.
 */
export class FieldSet {
  private readonly memberMap = new Map<string, PathElement>();
  private readonly childMap = new Map<string, Node>();

  static of(...paths: Path[]): FieldSet {
    const set = new FieldSet();
    for (const path of paths) set.insert(path);
    return set;
  }

  /** Adds a path; only for building a set that no one else holds yet. */
  insert(path: Path): void {
    const [head, ...rest] = path;
    if (!head) return;
    const key = pathElementString(head);
    if (rest.length === 0) {
      this.memberMap.set(key, head);
      return;
    }
    let node = this.childMap.get(key);
    if (!node) {
      node = { pe: head, set: new FieldSet() };
      this.childMap.set(key, node);
    }
    node.set.insert(rest);
  }

  isEmpty(): boolean {
    return this.memberMap.size === 0 && this.childMap.size === 0;
  }

  /** Whether the path is a member (not merely the prefix of one). */
  has(path: Path): boolean {
    const [head, ...rest] = path;
    if (!head) return false;
    const key = pathElementString(head);
    if (rest.length === 0) return this.memberMap.has(key);
    return this.childMap.get(key)?.set.has(rest) ?? false;
  }

  hasMember(pe: PathElement): boolean {
    return this.memberMap.has(pathElementString(pe));
  }

  /** The paths below one element (Set.WithPrefix). */
  withPrefix(pe: PathElement): FieldSet {
    return this.childMap.get(pathElementString(pe))?.set ?? new FieldSet();
  }

  members(): PathElement[] {
    return [...this.memberMap.values()].sort(comparePathElements);
  }

  children(): Node[] {
    return [...this.childMap.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  private static build(members: Iterable<[string, PathElement]>, children: Iterable<[string, Node]>) {
    const set = new FieldSet();
    for (const [k, pe] of members) set.memberMap.set(k, pe);
    for (const [k, node] of children) if (!node.set.isEmpty()) set.childMap.set(k, node);
    return set;
  }

  union(other: FieldSet): FieldSet {
    const children = new Map(this.childMap);
    for (const [k, node] of other.childMap) {
      const mine = children.get(k);
      children.set(k, mine ? { pe: mine.pe, set: mine.set.union(node.set) } : node);
    }
    return FieldSet.build([...this.memberMap, ...other.memberMap], children);
  }

  /** Set.Difference: members removed one by one; children only against the other's children. */
  difference(other: FieldSet): FieldSet {
    return FieldSet.build(
      [...this.memberMap].filter(([k]) => !other.memberMap.has(k)),
      [...this.childMap].map(([k, node]): [string, Node] => {
        const theirs = other.childMap.get(k);
        return [k, theirs ? { pe: node.pe, set: node.set.difference(theirs.set) } : node];
      }),
    );
  }

  /** Set.RecursiveDifference: a member of the other set takes the whole subtree with it. */
  recursiveDifference(other: FieldSet): FieldSet {
    return FieldSet.build(
      [...this.memberMap].filter(([k]) => !other.memberMap.has(k)),
      [...this.childMap]
        .filter(([k]) => !other.memberMap.has(k))
        .map(([k, node]): [string, Node] => {
          const theirs = other.childMap.get(k);
          return [k, theirs ? { pe: node.pe, set: node.set.recursiveDifference(theirs.set) } : node];
        }),
    );
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.build(
      [...this.memberMap].filter(([k]) => other.memberMap.has(k)),
      [...this.childMap]
        .filter(([k]) => other.childMap.has(k))
        .map(([k, node]): [string, Node] => [
          k,
          { pe: node.pe, set: node.set.intersection((other.childMap.get(k) as Node).set) },
        ]),
    );
  }

  /** Only what lies below the given top-level fields (an include filter). */
  only(fields: readonly string[]): FieldSet {
    const keep = new Set(fields.map((f) => pathElementString({ field: f })));
    return FieldSet.build(
      [...this.memberMap].filter(([k]) => keep.has(k)),
      [...this.childMap].filter(([k]) => keep.has(k)),
    );
  }

  /** Every member path, members of a node before its children (Set.Iterate). */
  paths(prefix: Path = []): Path[] {
    return [
      ...this.members().map((pe) => [...prefix, pe]),
      ...this.children().flatMap((node) => node.set.paths([...prefix, node.pe])),
    ];
  }

  equals(other: FieldSet): boolean {
    return JSON.stringify(this.toFieldsV1()) === JSON.stringify(other.toFieldsV1());
  }

  /** FieldsV1: members are `{}`, a node that is also a member has `".": {}` among its children. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const entries: [PathElement, 'member' | 'child' | 'both'][] = [];
    for (const pe of this.members())
      entries.push([pe, this.childMap.has(pathElementString(pe)) ? 'both' : 'member']);
    for (const node of this.children())
      if (!this.memberMap.has(pathElementString(node.pe))) entries.push([node.pe, 'child']);
    entries.sort(([a], [b]) => comparePathElements(a, b));
    for (const [pe, what] of entries) {
      const key = pathElementString(pe);
      const child = this.childMap.get(key)?.set.toFieldsV1();
      out[key] = what === 'member' ? {} : what === 'both' ? { '.': {}, ...child } : child;
    }
    return out;
  }

  /** Reads FieldsV1; throws on anything that is not one. */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (!isObject(fields)) throw new Error('fieldsV1 must be a JSON object');
    const set = new FieldSet();
    for (const [text, value] of Object.entries(fields)) {
      if (text === '.') continue;
      const pe = parsePathElement(text);
      if (!pe) continue;
      if (!isObject(value)) throw new Error(`fieldsV1 entry ${JSON.stringify(text)} must be an object`);
      const key = pathElementString(pe);
      const grandchildren = FieldSet.fromFieldsV1(value);
      // A node with no child of its own is a member, as readIterV1 reads it.
      const isMember = Object.hasOwn(value, '.') || grandchildren.isEmpty();
      if (isMember) set.memberMap.set(key, pe);
      if (!grandchildren.isEmpty()) set.childMap.set(key, { pe, set: grandchildren });
    }
    return set;
  }
}
