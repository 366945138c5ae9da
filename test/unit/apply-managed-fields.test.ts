import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../functions/core/api/apply/fieldpath';
import {
  type ApplyResult,
  applyConfiguration,
  fieldManagerScope,
  type JsonObject,
  lastAppliedAnnotation,
  maxUpdateManagers,
  updateManagedFields,
  withManagedFields,
} from '../../functions/core/api/apply/managed-fields';
import { fieldManagerOf } from '../../functions/core/api/apply/request';
import { ApiError } from '../../functions/core/errors';

const pods = fieldManagerScope('Pod');
const podStatus = fieldManagerScope('Pod', 'status');
const t0 = '2026-03-01T12:00:00Z';
const t1 = '2026-03-01T12:05:00Z';

/** A pod as stored: defaulted spec, server-set identity, status written by controllers. */
const stored = (labels: Record<string, string> = { app: 'web' }, managedFields?: ManagedFieldsEntry[]) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'u1',
      resourceVersion: '7',
      creationTimestamp: t0,
      labels,
      ...(managedFields ? { managedFields } : {}),
    },
    spec: {
      containers: [{ name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' }],
      restartPolicy: 'Always',
      nodeName: 'node-1',
    },
    status: { phase: 'Running' },
  }) as unknown as JsonObject;

const config = (labels: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels },
  ...extra,
});

const apply = (live: JsonObject | undefined, cfg: JsonObject, manager: string, force = false, now = t1) =>
  applyConfiguration(pods, { live, config: cfg, manager, force, now });

/** A pod `kubectl create` made (an Update by kubectl-create at t0): its entries, and the pod as stored. */
const createdByKubectl = (labels?: Record<string, string>) => {
  const created = updateManagedFields(pods, {
    live: undefined,
    next: stored(labels),
    requested: undefined,
    manager: 'kubectl-create',
    now: t0,
  });
  return { created, live: stored(labels, created) };
};

/** The live object after an apply, with its managedFields, as the handler stores it. */
const stored_ = (result: ApplyResult): JsonObject => ({
  ...result.object,
  metadata: {
    ...(result.object.metadata as JsonObject),
    managedFields: (result.managedFields ?? null) as Json,
  },
});

const entry = (
  result: { managedFields?: ManagedFieldsEntry[] } | ManagedFieldsEntry[] | undefined,
  manager: string,
) => (Array.isArray(result) ? result : result?.managedFields)?.find((e) => e.manager === manager);

/** A pod created by `manager`'s apply, then bound and run by controllers (untracked writes). */
const appliedPod = (labels: Record<string, string>, manager = 'kubectl', extra: JsonObject = {}) => {
  const created = stored_(
    apply(
      undefined,
      config(labels, { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...extra } }),
      manager,
    ),
  );
  return {
    ...created,
    spec: { ...(created.spec as JsonObject), nodeName: 'node-1' },
    status: { phase: 'Running' },
  };
};

const labelsOf = (object: JsonObject) => (object.metadata as { labels?: Record<string, string> }).labels;

const conflictOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.toStatus();
    throw error;
  }
  throw new Error('no conflict');
};

describe('an ordinary write records an Update entry for its manager', () => {
  it('on create: every field the request set, defaults included, but not the server-set identity', () => {
    const entries = updateManagedFields(pods, {
      live: undefined,
      next: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx', imagePullPolicy: 'Always' }],
          restartPolicy: 'Always',
        },
        status: { phase: 'Pending' },
      },
      requested: undefined,
      manager: 'kubectl-create',
      now: t0,
    });
    expect(entries).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: t0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {} },
            },
            'f:restartPolicy': {},
          },
        },
      },
    ]);
  });

  it('on update: the manager gains what changed, the previous owner loses it, everyone loses what went', () => {
    const { created, live } = createdByKubectl({ app: 'web', tier: 'front' });
    const entries = updateManagedFields(pods, {
      live,
      next: stored({ app: 'api' }),
      requested: created,
      manager: 'kubectl-label',
      now: t1,
    });
    expect(entry(entries, 'kubectl-label')).toMatchObject({
      operation: 'Update',
      time: t1,
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    });
    const creator = entry(entries, 'kubectl-create');
    expect(creator?.time).toBe(t0);
    expect((creator?.fieldsV1 as JsonObject | undefined)?.['f:metadata']).toEqual({ 'f:labels': {} });
  });

  it('a write that changes nothing changes no entry', () => {
    const { created, live } = createdByKubectl();
    expect(
      updateManagedFields(pods, {
        live,
        next: stored(),
        requested: created,
        manager: 'kubectl-edit',
        now: t1,
      }),
    ).toEqual(created);
  });

  it('status writes are owned with subresource "status", and only the status', () => {
    const { live } = createdByKubectl();
    const next = { ...live, status: { phase: 'Running', message: 'ok' } };
    const entries = updateManagedFields(podStatus, {
      live,
      next,
      requested: [],
      manager: 'watcher',
      now: t1,
    });
    expect(entry(entries, 'watcher')).toEqual({
      manager: 'watcher',
      operation: 'Update',
      apiVersion: 'v1',
      time: t1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:message': {} } },
      subresource: 'status',
    });
    // A subresource never takes managedFields from the request: `[]` did not reset them.
    expect(entry(entries, 'kubectl-create')).toBeDefined();
  });

  it('takes the request’s managedFields when they decode, `[]` clears them, and garbage is ignored', () => {
    const { created, live } = createdByKubectl();
    const renamed = created?.map((e) => ({ ...e, manager: 'renamed' }));
    expect(
      entry(
        updateManagedFields(pods, { live, next: live, requested: renamed, manager: 'x', now: t1 }),
        'renamed',
      ),
    ).toBeDefined();
    expect(
      updateManagedFields(pods, { live, next: live, requested: [], manager: 'x', now: t1 }),
    ).toBeUndefined();
    expect(
      updateManagedFields(pods, { live, next: live, requested: [{}], manager: 'x', now: t1 }),
    ).toBeUndefined();
    for (const garbage of [
      [{ operation: 'Bogus', apiVersion: 'v1', fieldsType: 'FieldsV1' }],
      [{ manager: 'm' }],
      'x',
    ])
      expect(
        updateManagedFields(pods, { live, next: live, requested: garbage, manager: 'x', now: t1 }),
      ).toEqual(created);
  });

  it('an existing object nobody tracks stays untracked', () => {
    const live = stored();
    expect(
      updateManagedFields(pods, {
        live,
        next: stored({ app: 'x' }),
        requested: undefined,
        manager: 'm',
        now: t1,
      }),
    ).toBeUndefined();
  });

  it(`keeps at most ${maxUpdateManagers} updaters, folding the oldest into "ancient-changes"`, () => {
    let live = stored({});
    let entries: ManagedFieldsEntry[] | undefined = updateManagedFields(pods, {
      live: undefined,
      next: live,
      requested: undefined,
      manager: 'creator',
      now: '2026-03-01T11:00:00Z',
    });
    for (let i = 0; i < 12; i++) {
      const next = stored({ ...labelsOf(live), [`l${i}`]: 'x' });
      entries = updateManagedFields(pods, {
        live: {
          ...live,
          metadata: { ...(live.metadata as JsonObject), managedFields: (entries ?? null) as Json },
        },
        next,
        requested: undefined,
        manager: `m${i}`,
        now: `2026-03-01T12:${String(i).padStart(2, '0')}:00Z`,
      });
      live = next;
    }
    expect(entries).toHaveLength(maxUpdateManagers);
    const ancient = entry(entries, 'ancient-changes');
    expect(JSON.stringify(ancient?.fieldsV1)).toMatch(/"f:l0".*"f:l1"/);
  });
});

describe('server-side apply', () => {
  it('creates: the merged object and an Apply entry for exactly what the configuration sets', () => {
    const result = apply(
      undefined,
      config({ app: 'web' }, { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } }),
      'kubectl',
    );
    expect(result.object).toMatchObject({
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    });
    expect(result.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: t1,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    ]);
  });

  it('re-applying the same configuration changes nothing', () => {
    const cfg = config({ app: 'web' }, { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } });
    const live = stored_(apply(undefined, cfg, 'kubectl'));
    const again = apply(live, cfg, 'kubectl', false, '2026-03-01T13:00:00Z');
    expect(stored_(again)).toEqual(live);
    expect(withManagedFields(stored_(again), again.managedFields, live)).toEqual(live);
  });

  it('refuses to change a field another applier owns, naming it as kube-apiserver does', () => {
    const live = appliedPod({ app: 'web' });
    const status = conflictOf(() => apply(live, config({ app: 'other' }), 'other'));
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl"',
            field: '.metadata.labels.app',
          },
        ],
      },
      code: 409,
    });
  });

  it('names updaters with their API version, and lists several conflicts by manager', () => {
    const { live } = createdByKubectl({ app: 'web', tier: 'a' });
    const status = conflictOf(() => apply(live, config({ app: 'x', tier: 'b' }), 'ci'));
    expect(status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-create" using v1:\n- .metadata.labels.app\n- .metadata.labels.tier',
    );
    expect(status.details?.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-create" using v1',
        field: '.metadata.labels.app',
      },
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-create" using v1',
        field: '.metadata.labels.tier',
      },
    ]);
  });

  it('force takes the field: the other manager loses it', () => {
    const live = appliedPod({ app: 'web', keep: 'y' });
    const forced = apply(live, config({ app: 'other' }), 'other', true);
    expect(labelsOf(forced.object)).toEqual({ app: 'other', keep: 'y' });
    expect(entry(forced, 'kubectl')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:keep': {} } },
    });
    expect(JSON.stringify(entry(forced, 'kubectl')?.fieldsV1)).not.toContain('f:app');
    expect(entry(forced, 'other')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  });

  it('the same value is shared ownership, not a conflict', () => {
    const live = appliedPod({ app: 'web' });
    const shared = apply(live, config({ app: 'web' }), 'other');
    expect(entry(shared, 'kubectl')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
    expect(entry(shared, 'other')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    // The object did not change, so the new manager's entry has no time (as upstream).
    expect(entry(shared, 'other')?.time).toBeUndefined();
  });

  it('a field left out of the configuration goes, unless someone else owns it', () => {
    const first = appliedPod({ app: 'web', tier: 'front' });
    const removed = apply(first, config({ app: 'web' }), 'kubectl');
    expect(labelsOf(removed.object)).toEqual({ app: 'web' });

    const shared = stored_(apply(first, config({ tier: 'front' }), 'other'));
    const kept = apply(shared, config({ app: 'web' }), 'kubectl');
    expect(labelsOf(kept.object)).toEqual({ app: 'web', tier: 'front' });
    expect(entry(kept, 'kubectl')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    // The spec it no longer applies at all went too, as structured-merge-diff prunes a named
    // field its applier owned and nobody owns now, whatever unowned fields it held.
    expect(kept.object.spec).toBeUndefined();
    expect(entry(kept, 'other')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
  });

  it('fields nobody owns (the scheduler’s nodeName, controller status) survive a prune', () => {
    const first = appliedPod({ app: 'web' }, 'kubectl', { restartPolicy: 'Always' });
    const second = apply(
      first,
      config({ app: 'web' }, { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } }),
      'kubectl',
    );
    expect(second.object).toMatchObject({
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], nodeName: 'node-1' },
      status: { phase: 'Running' },
    });
    expect((second.object.spec as JsonObject).restartPolicy).toBeUndefined();
  });

  it('removes a list-map item it alone applied, and keeps one another manager applied', () => {
    const spec = (...names: string[]) => ({
      spec: { containers: names.map((name) => ({ name, image: 'i' })) },
    });
    const live = stored_(apply(undefined, config({}, spec('a', 'b')), 'kubectl'));
    expect(apply(live, config({}, spec('a')), 'kubectl').object.spec).toEqual({
      containers: [{ name: 'a', image: 'i' }],
    });
    const shared = stored_(apply(live, config({}, spec('b')), 'other'));
    expect(apply(shared, config({}, spec('a')), 'kubectl').object.spec).toEqual({
      containers: [
        { name: 'a', image: 'i' },
        { name: 'b', image: 'i' },
      ],
    });
  });

  it('an object nobody tracked is first owned by "before-first-apply"', () => {
    const status = conflictOf(() => apply(stored(), config({ app: 'changed' }), 'kubectl'));
    expect(status.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .metadata.labels.app',
    );
    const same = apply(stored(), config({ app: 'web' }), 'kubectl');
    expect(entry(same, 'before-first-apply')).toMatchObject({ operation: 'Update', time: t1 });
  });

  it('never owns the status through the pod, nor anything but the status through /status', () => {
    const viaPod = apply(undefined, config({ app: 'web' }, { status: { phase: 'Failed' } }), 'kubectl');
    expect(entry(viaPod, 'kubectl')?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    const viaStatus = applyConfiguration(podStatus, {
      live: stored_(viaPod),
      config: config({ app: 'x' }, { status: { message: 'hi' } }),
      manager: 'watcher',
      force: false,
      now: t1,
    });
    expect(entry(viaStatus, 'watcher')).toMatchObject({
      operation: 'Apply',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:message': {} } },
    });
  });

  it('refuses configurations of another kind, with managedFields, or that do not type-check', () => {
    const message = (cfg: JsonObject) => conflictOf(() => apply(undefined, cfg, 'm')).message;
    expect(message({ apiVersion: 'apps/v1', kind: 'Pod' })).toBe('invalid object type: apps/v1, Kind=Pod');
    expect(message({ kind: 'Pod' })).toBe('invalid object type: /, Kind=Pod');
    expect(message({ apiVersion: 'v1', kind: 'Pod', metadata: { managedFields: [] } })).toBe(
      'metadata.managedFields must be nil',
    );
    expect(message(config({}, { spec: { containers: 'x' } }))).toBe(
      'failed to create typed patch object (/web; /v1, Kind=Pod): .spec.containers: expected list, got "x"',
    );
    expect(message(config({}, { spec: { containerz: [] } }))).toBe(
      'failed to create typed patch object (/web; /v1, Kind=Pod): .spec.containerz: field not declared in schema',
    );
  });
});

describe('taking over from client-side apply (manager "kubectl")', () => {
  const lastApplied = (labels: Record<string, string>) =>
    `${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { labels, name: 'web' } })}\n`;
  const csaCreated = (labels: Record<string, string>, applied: Record<string, string>) => {
    const object = stored(labels);
    (object.metadata as JsonObject).annotations = { [lastAppliedAnnotation]: lastApplied(applied) };
    const managedFields = updateManagedFields(pods, {
      live: undefined,
      next: object,
      requested: undefined,
      manager: 'kubectl-client-side-apply',
      now: t0,
    });
    return {
      ...object,
      metadata: { ...(object.metadata as JsonObject), managedFields: (managedFields ?? null) as Json },
    };
  };

  it('changes what the last client-side apply set, and keeps the annotation current', () => {
    const live = csaCreated({ app: 'web' }, { app: 'web' });
    const result = apply(live, config({ app: 'api' }), 'kubectl');
    expect(labelsOf(result.object)).toEqual({ app: 'api' });
    const annotations = (result.object.metadata as { annotations: Record<string, string> }).annotations;
    expect(annotations[lastAppliedAnnotation]).toBe(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"app":"api"},"name":"web"}}\n',
    );
  });

  it('still conflicts on what changed since, and for any other manager', () => {
    const live = csaCreated({ app: 'edited' }, { app: 'web' });
    expect(conflictOf(() => apply(live, config({ app: 'api' }), 'kubectl')).code).toBe(409);
    expect(
      conflictOf(() => apply(csaCreated({ app: 'web' }, { app: 'web' }), config({ app: 'api' }), 'ci')).code,
    ).toBe(409);
  });
});

describe('timestamps of a write that changes nothing', () => {
  it('keeps the old times, so the object is not written again', () => {
    const old = [
      { manager: 'm', operation: 'Apply', apiVersion: 'v1', time: t0, fieldsType: 'FieldsV1', fieldsV1: {} },
    ];
    const live: { metadata: { name: string; managedFields?: ManagedFieldsEntry[] } } = {
      metadata: { name: 'x', managedFields: old },
    };
    const next: typeof live = { metadata: { name: 'x' } };
    expect(withManagedFields(next, [{ ...old[0], time: t1 }] as ManagedFieldsEntry[], live)).toEqual(live);
    expect(
      withManagedFields(
        { metadata: { name: 'y' } } as typeof live,
        [{ ...old[0], time: t1 }] as ManagedFieldsEntry[],
        live,
      ).metadata.managedFields?.[0]?.time,
    ).toBe(t1);
  });
});

describe('the default field manager', () => {
  const manager = (userAgent: string | undefined, fieldManager?: string) =>
    fieldManagerOf({
      method: 'PATCH',
      path: '/',
      query: fieldManager ? { fieldManager } : {},
      headers: userAgent === undefined ? {} : { 'user-agent': userAgent },
    });

  it('is the User-Agent up to its first "/", printable characters only, at most 128 bytes', () => {
    expect(manager('kubectl/v1.32.4 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(manager('Mozilla/5.0 (X11)')).toBe('Mozilla');
    expect(manager('a\u0000b\tc/x')).toBe('abc');
    expect(manager('🍔'.repeat(60))).toBe('🍔'.repeat(32));
    expect(manager(undefined)).toBe('');
    expect(manager('kubectl/v1', 'flux')).toBe('flux');
  });
});
