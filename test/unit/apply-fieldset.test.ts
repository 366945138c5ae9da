import { describe, expect, it } from 'vitest';
import {
  comparePathElements,
  FieldSet,
  type Json,
  type Path,
  pathElementString,
  pathString,
} from '../../functions/core/api/apply/fieldpath';
import { rootAtom } from '../../functions/core/api/apply/schema';
import {
  compareTyped,
  ensureNamedFieldsAreMembers,
  mergeTyped,
  removeItems,
  toFieldSet,
  typedErrorsText,
  validateTyped,
} from '../../functions/core/api/apply/typed';

const pod = rootAtom('Pod');
const f = (...names: string[]): Path => names.map((field) => ({ field }));
const container = (name: string) => ({ key: [['name', name]] as const });
const port = (containerPort: number, protocol = 'TCP') => ({
  key: [
    ['containerPort', containerPort],
    ['protocol', protocol],
  ] as const,
});
const fields = (value: Json) => toFieldSet(value, pod).toFieldsV1();

describe('path elements and paths', () => {
  it('serialize as FieldsV1 keys, key fields sorted and written as Go writes JSON', () => {
    expect(pathElementString({ field: 'labels' })).toBe('f:labels');
    expect(
      pathElementString({
        key: [
          ['protocol', 'TCP'],
          ['containerPort', 80],
        ],
      }),
    ).toBe('k:{"containerPort":80,"protocol":"TCP"}');
    expect(pathElementString({ value: 'a<b' })).toBe('v:"a\\u003cb"');
    expect(pathElementString({ index: 3 })).toBe('i:3');
  });

  it('print as structured-merge-diff prints them in conflicts', () => {
    expect(pathString(f('metadata', 'labels', 'app'))).toBe('.metadata.labels.app');
    expect(pathString([...f('spec', 'containers'), container('web'), { field: 'image' }])).toBe(
      '.spec.containers[name="web"].image',
    );
    expect(pathString([...f('spec', 'containers'), container('web'), { field: 'ports' }, port(80)])).toBe(
      '.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
    );
    expect(pathString([...f('metadata', 'finalizers'), { value: 'x' }])).toBe('.metadata.finalizers[="x"]');
  });

  it('order field names before keys before values before indexes', () => {
    const sorted = [{ index: 0 }, { value: 'a' }, container('a'), { field: 'z' }, { field: 'a' }].sort(
      comparePathElements,
    );
    expect(sorted.map(pathElementString)).toEqual(['f:a', 'f:z', 'k:{"name":"a"}', 'v:"a"', 'i:0']);
  });
});

describe('field sets', () => {
  const labels = (...names: string[]) => names.map((n) => f('metadata', 'labels', n));

  it('union, difference and intersection work member by member', () => {
    const a = FieldSet.of(...labels('a', 'b'));
    const b = FieldSet.of(...labels('b', 'c'));
    expect(a.union(b).paths().map(pathString)).toEqual([
      '.metadata.labels.a',
      '.metadata.labels.b',
      '.metadata.labels.c',
    ]);
    expect(a.difference(b).paths().map(pathString)).toEqual(['.metadata.labels.a']);
    expect(a.intersection(b).paths().map(pathString)).toEqual(['.metadata.labels.b']);
    expect(a.difference(a).isEmpty()).toBe(true);
  });

  it('difference keeps a child whose parent is a member of the other set; recursive difference drops it', () => {
    const child = FieldSet.of(f('status', 'phase'), f('metadata', 'name'));
    const parent = FieldSet.of(f('status'));
    expect(child.difference(parent).paths().map(pathString)).toEqual(['.metadata.name', '.status.phase']);
    expect(child.recursiveDifference(parent).paths().map(pathString)).toEqual(['.metadata.name']);
  });

  it('reads and writes FieldsV1, a node that is also a member carrying "."', () => {
    const set = FieldSet.of(
      f('metadata', 'labels'),
      f('metadata', 'labels', 'app'),
      [...f('spec', 'containers'), container('web')],
      [...f('spec', 'containers'), container('web'), { field: 'image' }],
    );
    const v1 = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } },
    };
    expect(set.toFieldsV1()).toEqual(v1);
    expect(JSON.stringify(FieldSet.fromFieldsV1(v1).toFieldsV1())).toBe(JSON.stringify(v1));
    expect(FieldSet.fromFieldsV1(v1).equals(set)).toBe(true);
  });

  it('refuses FieldsV1 that is not one, and skips elements of unknown kinds', () => {
    expect(() => FieldSet.fromFieldsV1([])).toThrow();
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 'x' })).toThrow();
    expect(() => FieldSet.fromFieldsV1({ nocolon: {} })).toThrow();
    expect(FieldSet.fromFieldsV1({ 'x:a': {}, 'f:b': {} }).toFieldsV1()).toEqual({ 'f:b': {} });
  });
});

describe('the fields a configuration sets', () => {
  it('owns scalars and map entries, items of list maps by key, and parents only through children', () => {
    expect(
      fields({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }],
        },
      }),
    ).toEqual({
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            // A port without a protocol is the TCP entry: the key field has a default.
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            'f:resources': {},
          },
        },
      },
    });
  });

  it('owns atomic lists and atomic structs whole', () => {
    expect(
      fields({
        spec: {
          tolerations: [{ key: 'a', operator: 'Exists' }],
          nodeSelector: { zone: 'a' },
          containers: [
            { name: 'c', args: ['x'], env: [{ name: 'E', valueFrom: { fieldRef: { fieldPath: 'x' } } }] },
          ],
        },
      }),
    ).toEqual({
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {
            '.': {},
            'f:args': {},
            'f:env': {
              'k:{"name":"E"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { 'f:fieldRef': {} } },
            },
            'f:name': {},
          },
        },
        'f:nodeSelector': {},
        'f:tolerations': {},
      },
    });
  });

  it('owns set members by value (finalizers)', () => {
    expect(fields({ metadata: { finalizers: ['a', 'b'] } })).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } },
    });
  });

  it('owns a null field as a member', () => {
    expect(fields({ metadata: { labels: null } })).toEqual({ 'f:metadata': { 'f:labels': {} } });
  });
});

describe('validating a configuration before it is applied', () => {
  const errors = (value: Json) => typedErrorsText(validateTyped(value, pod));

  it('accepts a well-typed pod, nulls included', () => {
    expect(
      validateTyped(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web', creationTimestamp: null },
          spec: { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: 1 } } }] },
          status: {},
        },
        pod,
      ),
    ).toEqual([]);
  });

  it('names the field of the wrong type, an undeclared field, and bad list items', () => {
    expect(errors({ metadata: { name: 5 } })).toBe('.metadata.name: expected string, got 5');
    expect(errors({ spec: { containers: { name: 'x' } } })).toBe(
      '.spec.containers: expected list, got {"name":"x"}',
    );
    expect(errors({ spec: { terminationGracePeriodSeconds: 'x' } })).toBe(
      '.spec.terminationGracePeriodSeconds: expected numeric (int or float), got string',
    );
    expect(errors({ spec: { containers: [{ name: 'a', imagex: 'b' }] } })).toBe(
      '.spec.containers[name="a"].imagex: field not declared in schema',
    );
    expect(errors({ spec: { containers: [{ image: 'x' }] } })).toBe(
      '.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
    );
    expect(errors({ spec: { containers: [{ name: 'a' }, { name: 'a' }] } })).toBe(
      '.spec.containers: duplicate entries for key [name="a"]',
    );
    expect(errors({ metadata: { finalizers: [null] } })).toBe(
      ".metadata.finalizers: element 0: associative list without keys has an element that's an explicit null",
    );
    expect(errors({ metadata: { name: [], namespace: {} } })).toBe(
      'errors:\n  .metadata.name: expected string, got []\n  .metadata.namespace: expected string, got {}',
    );
  });
});

describe('merging a configuration into the live object', () => {
  const live: Json = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
    spec: {
      containers: [
        { name: 'a', image: 'nginx:1', env: [{ name: 'X', value: '1' }] },
        { name: 'b', image: 'busybox' },
      ],
      tolerations: [{ key: 'k1', operator: 'Exists' }],
    },
  };

  it("merges maps entry by entry and list maps item by item, items both have in the configuration's order", () => {
    const merged = mergeTyped(
      live,
      {
        metadata: { labels: { app: 'api' } },
        spec: {
          containers: [
            { name: 'b', image: 'busybox:2' },
            { name: 'a', env: [{ name: 'Y', value: '2' }] },
          ],
        },
      },
      pod,
    );
    expect(merged).toEqual({
      metadata: { name: 'web', labels: { app: 'api', tier: 'front' } },
      spec: {
        containers: [
          { name: 'b', image: 'busybox:2' },
          {
            name: 'a',
            image: 'nginx:1',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '2' },
            ],
          },
        ],
        tolerations: [{ key: 'k1', operator: 'Exists' }],
      },
    });
  });

  it('replaces atomic lists whole and places new list-map items where the configuration puts them', () => {
    const merged = mergeTyped(
      live,
      {
        spec: {
          containers: [{ name: 'new' }, { name: 'a' }],
          tolerations: [{ key: 'k2', operator: 'Exists' }],
        },
      },
      pod,
    ) as { spec: { containers: { name: string }[]; tolerations: unknown } };
    expect(merged.spec.containers.map((c) => c.name)).toEqual(['new', 'a', 'b']);
    expect(merged.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
  });
});

describe('comparing two objects', () => {
  it('reports added, modified and removed fields, new nodes and items included', () => {
    const before: Json = {
      metadata: { labels: { a: '1', b: '2' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const after: Json = {
      metadata: { labels: { a: '9' }, annotations: { n: 'v' } },
      spec: { containers: [{ name: 'c', image: 'x' }, { name: 'd' }] },
    };
    const c = compareTyped(before, after, pod);
    expect(c.modified.paths().map(pathString)).toEqual(['.metadata.labels.a']);
    expect(c.removed.paths().map(pathString)).toEqual(['.metadata.labels.b']);
    expect(c.added.paths().map(pathString)).toEqual([
      '.metadata.annotations',
      '.metadata.annotations.n',
      '.spec.containers[name="d"]',
      '.spec.containers[name="d"].name',
    ]);
  });

  it('sees no change between equal objects', () => {
    const value = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'c' }] } };
    const c = compareTyped(value, structuredClone(value), pod);
    expect([c.added, c.modified, c.removed].every((s) => s.isEmpty())).toBe(true);
  });
});

describe('removing fields', () => {
  it('drops members and list items, leaving an emptied map null', () => {
    const value = {
      metadata: { labels: { a: '1' }, annotations: { n: 'v', m: 'w' } },
      spec: { containers: [{ name: 'c' }, { name: 'd' }] },
    };
    const removed = removeItems(
      value,
      FieldSet.of(f('metadata', 'labels', 'a'), f('metadata', 'annotations', 'n'), [
        ...f('spec', 'containers'),
        container('d'),
      ]),
      pod,
    );
    expect(removed).toEqual({
      metadata: { labels: null, annotations: { m: 'w' } },
      spec: { containers: [{ name: 'c' }] },
    });
  });

  it('adds named struct fields on the way to members, but not map keys', () => {
    const set = FieldSet.of(
      [...f('metadata', 'labels', 'a')],
      [...f('spec', 'containers'), container('c'), { field: 'image' }],
    );
    expect(ensureNamedFieldsAreMembers(set, pod).paths().map(pathString)).toEqual([
      '.metadata',
      '.spec',
      '.metadata.labels',
      '.metadata.labels.a',
      '.spec.containers',
      '.spec.containers[name="c"].image',
    ]);
  });
});
