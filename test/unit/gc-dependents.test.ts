import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { describe, expect, it } from 'vitest';
import { sweepOrphanedDependents } from '../../functions/core/api/garbage-collector';
import { ownerIndexResource } from '../../functions/core/api/owner-index';
import { apiHarness } from './api-harness';

const pods = '/api/v1/namespaces/default/pods';
const budgets = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const mergePatch = { 'content-type': 'application/merge-patch+json' };
type Harness = ReturnType<typeof apiHarness>;

/** A pod that is not bound: deleting it removes it at once, as nothing runs for it. */
const pod = (name: string, ownerReferences?: OwnerReference[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1.27', resources: { limits: { cpu: '250m', memory: '64Mi' } } },
    ],
  },
});

const budget = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, ...extra },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
});

async function create(h: Harness, path: string, body: unknown) {
  const created = await h.call('POST', path, { body });
  expect(created.statusCode).toBe(201);
  return created.json as { apiVersion: string; kind: string; metadata: { name: string; uid: string } };
}

const refTo = (owner: { apiVersion: string; kind: string; metadata: { name: string; uid: string } }) => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid,
});

const exists = async (h: Harness, path: string) => (await h.call('GET', path)).statusCode === 200;

describe('Background propagation: the garbage collector', () => {
  it('deletes the dependents of a removed owner pod, and no other pod', async () => {
    const h = apiHarness();
    const owner = await create(h, pods, pod('owner'));
    await create(h, pods, pod('child', [refTo(owner)]));
    await create(h, pods, pod('stranger'));
    const deleted = await h.call('DELETE', `${pods}/owner`);
    expect(deleted.statusCode).toBe(200);
    expect(await exists(h, `${pods}/owner`)).toBe(false);
    expect(await exists(h, `${pods}/child`)).toBe(false);
    expect(await exists(h, `${pods}/stranger`)).toBe(true);
    // Nothing is left for the sweep: the owner's entry went with its dependents.
    expect(await h.stores.objects.listObjects(ownerIndexResource)).toEqual([]);
  });

  it('collects down the chain, across resources: a budget owns a pod that owns a pod', async () => {
    const h = apiHarness();
    const pdb = await create(h, budgets, budget('owner'));
    const parent = await create(h, pods, pod('parent', [refTo(pdb)]));
    await create(h, pods, pod('grandchild', [refTo(parent)]));
    await h.call('DELETE', `${budgets}/owner`);
    expect(await exists(h, `${pods}/parent`)).toBe(false);
    expect(await exists(h, `${pods}/grandchild`)).toBe(false);
  });

  it('leaves a dependent that another owner still holds', async () => {
    const h = apiHarness();
    const first = await create(h, pods, pod('first'));
    const second = await create(h, budgets, budget('second'));
    await create(h, pods, pod('shared', [refTo(first), refTo(second)]));
    await h.call('DELETE', `${pods}/first`);
    expect(await exists(h, `${pods}/shared`)).toBe(true);
    await h.call('DELETE', `${budgets}/second`);
    expect(await exists(h, `${pods}/shared`)).toBe(false);
  });

  it('Orphan on a budget takes it out of its dependents, which then stay', async () => {
    const h = apiHarness();
    const pdb = await create(h, budgets, budget('owner'));
    await create(h, pods, pod('child', [refTo(pdb)]));
    await h.call('DELETE', `${budgets}/owner`, { body: { propagationPolicy: 'Orphan' } });
    const child = await h.call('GET', `${pods}/child`);
    expect(child.json.metadata.ownerReferences).toBeUndefined();
    expect(await sweepOrphanedDependents(h.deps)).toBe(0);
    expect(await exists(h, `${pods}/child`)).toBe(true);
  });

  it('Orphan on a pod takes it out of a budget it owns, which the sweep then leaves', async () => {
    const h = apiHarness();
    const owner = await create(h, pods, pod('owner'));
    await create(h, budgets, budget('owned', { ownerReferences: [refTo(owner)] }));
    await h.call('DELETE', `${pods}/owner`, { query: { propagationPolicy: 'Orphan' } });
    expect(await exists(h, `${pods}/owner`)).toBe(false);
    expect((await h.call('GET', `${budgets}/owned`)).json.metadata.ownerReferences).toBeUndefined();
    expect(await sweepOrphanedDependents(h.deps)).toBe(0);
    expect(await exists(h, `${budgets}/owned`)).toBe(true);
  });

  it('deletecollection collects the dependents of each owner it removes, and holds one with finalizers', async () => {
    const h = apiHarness();
    const plain = await create(h, budgets, budget('plain', { labels: { tier: 'x' } }));
    const held = await create(
      h,
      budgets,
      budget('held', { labels: { tier: 'x' }, finalizers: ['example.com/hold'] }),
    );
    await create(h, pods, pod('of-plain', [refTo(plain)]));
    await create(h, pods, pod('of-held', [refTo(held)]));
    const deleted = await h.call('DELETE', budgets, { query: { labelSelector: 'tier=x' } });
    expect(deleted.statusCode).toBe(200);
    expect(await exists(h, `${pods}/of-plain`)).toBe(false);
    expect(await exists(h, `${pods}/of-held`)).toBe(true);
    expect((await h.call('GET', `${budgets}/held`)).json.metadata.deletionTimestamp).toBeDefined();
  });

  it('a dry run of the owner’s delete deletes no dependent', async () => {
    const h = apiHarness();
    const owner = await create(h, pods, pod('owner'));
    await create(h, pods, pod('child', [refTo(owner)]));
    await h.call('DELETE', `${pods}/owner`, { query: { dryRun: 'All' } });
    expect(await exists(h, `${pods}/owner`)).toBe(true);
    expect(await exists(h, `${pods}/child`)).toBe(true);
    expect(await h.stores.objects.listObjects(ownerIndexResource)).toHaveLength(1);
  });
});

describe('the sweep run with the reconcile', () => {
  it('collects the dependents of an owner removed later, when its last finalizer went', async () => {
    const h = apiHarness();
    const pdb = await create(h, budgets, budget('owner', { finalizers: ['example.com/hold'] }));
    await create(h, pods, pod('child', [refTo(pdb)]));
    await h.call('DELETE', `${budgets}/owner`);
    // Held: the owner exists, its dependent stays, and the sweep leaves both.
    expect(await sweepOrphanedDependents(h.deps)).toBe(0);
    expect(await exists(h, `${pods}/child`)).toBe(true);
    await h.call('PATCH', `${budgets}/owner`, {
      headers: mergePatch,
      body: { metadata: { finalizers: null } },
    });
    expect(await exists(h, `${budgets}/owner`)).toBe(false);
    expect(await sweepOrphanedDependents(h.deps)).toBe(1);
    expect(await exists(h, `${pods}/child`)).toBe(false);
    // Idempotent: nothing more to do.
    expect(await sweepOrphanedDependents(h.deps)).toBe(0);
  });

  it('collects after a crash between the owner’s removal and its dependents’ deletion', async () => {
    const h = apiHarness();
    const owner = await create(h, pods, pod('owner'));
    await create(h, pods, pod('child', [refTo(owner)]));
    // The owner goes as a process that died before collecting would leave it.
    const record = await h.stores.pods.getPod('default', 'owner', true);
    if (!record) throw new Error('no owner');
    await h.stores.pods.deletePod(record, { pod: record.pod, stopTask: false });
    expect(await exists(h, `${pods}/child`)).toBe(true);
    expect(await sweepOrphanedDependents(h.deps)).toBe(1);
    expect(await exists(h, `${pods}/child`)).toBe(false);
  });

  it('collects a dependent whose owner never existed, and not one whose owner podplane does not serve', async () => {
    const h = apiHarness();
    const missing = { apiVersion: 'v1', kind: 'Pod', name: 'ghost', uid: 'uid-of-nothing' };
    const foreign = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'uid-rs' };
    await create(h, pods, pod('orphaned', [missing]));
    await create(h, pods, pod('managed', [foreign]));
    expect(await sweepOrphanedDependents(h.deps)).toBe(1);
    expect(await exists(h, `${pods}/orphaned`)).toBe(false);
    expect(await exists(h, `${pods}/managed`)).toBe(true);
  });

  it('collects a dependent whose owner reference was added by an update', async () => {
    const h = apiHarness();
    const owner = await create(h, budgets, budget('owner'));
    await create(h, pods, pod('late'));
    const patched = await h.call('PATCH', `${pods}/late`, {
      headers: mergePatch,
      body: { metadata: { ownerReferences: [refTo(owner)] } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json.metadata.ownerReferences).toEqual([refTo(owner)]);
    await h.call('DELETE', `${budgets}/owner`);
    expect(await exists(h, `${pods}/late`)).toBe(false);
  });
});
