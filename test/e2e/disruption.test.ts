import { beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  eventually,
  hasKubectl,
  kubectlFor,
  untilPrinted,
  useControlPlane,
  writeManifest,
} from './control-plane';

/**
 * Disruption budgets, evictions and collection deletes against `npm start`'s program: kubectl's
 * own commands where kubectl has one (create pdb, get pdb, patch), and the requests client-go
 * sends for the rest (Evict, DeleteCollection), checked by what kubectl prints after.
 */
describe.skipIf(!hasKubectl)('disruption budgets and evictions', () => {
  const plane = useControlPlane('podplane-disruption-', ['--nodes', '1']);
  const { run: kubectl, fails } = kubectlFor(plane);
  const evict = (pod: string) =>
    call(plane, 'POST', `/api/v1/namespaces/default/pods/${pod}/eviction`, {
      body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod } }),
      contentType: 'application/json',
    });

  beforeAll(async () => {
    const pod = (name: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels: { app: a }\nspec:\n  containers: [{ name: app, image: nginx:1.27 }]\n`;
    const manifest = writeManifest(plane, 'pods.yaml', ['a1', 'a2', 'a3'].map(pod).join('---\n'));
    kubectl('apply', '-f', manifest);
    await untilPrinted(
      () => kubectl('get', 'pods', '-l', 'app=a', '--no-headers'),
      /^a1\s+1\/1\s+Running[^\n]*\na2\s+1\/1\s+Running[^\n]*\na3\s+1\/1\s+Running/,
      'three pods to run',
    );
  });

  it('creates a budget with kubectl create pdb and prints it as kubectl get pdb does', () => {
    expect(kubectl('create', 'pdb', 'x', '--selector=app=a', '--min-available=3').trim()).toBe(
      'poddisruptionbudget.policy/x created',
    );
    const printed = kubectl('get', 'pdb');
    expect(printed).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    expect(printed).toMatch(/^x\s+3\s+N\/A\s+0\s+\d+s$/m);
    expect(kubectl('get', 'pdb', 'x', '-o', 'jsonpath={.status.currentHealthy}/{.status.expectedPods}')).toBe(
      '3/3',
    );
  });

  it('refuses an eviction the budget does not allow with 429, and allows it once the budget does', async () => {
    const refused = await evict('a1');
    expect(refused.status).toBe(429);
    expect(refused.json()).toMatchObject({
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget x needs 3 healthy pods and has 3 currently',
          },
        ],
      },
    });
    expect(kubectl('patch', 'pdb', 'x', '--type=merge', '-p', '{"spec":{"minAvailable":2}}').trim()).toBe(
      'poddisruptionbudget.policy/x patched',
    );
    expect(kubectl('get', 'pdb', 'x', '--no-headers')).toMatch(/^x\s+2\s+N\/A\s+1\s/);
    const allowed = await evict('a1');
    expect(allowed.status).toBe(201);
    await untilPrinted(
      () => kubectl('get', 'pods', '-l', 'app=a', '-o', 'name'),
      'pod/a2\npod/a3\n',
      'a1 to go',
    );
    // Two healthy pods left, two needed: the next eviction waits.
    expect((await evict('a2')).status).toBe(429);
    expect(kubectl('get', 'pdb', 'x', '--no-headers')).toMatch(/^x\s+2\s+N\/A\s+0\s/);
  });

  it('deletes the pods a selector selects with one DELETE on the collection, as client-go sends it', async () => {
    const deleted = await call(plane, 'DELETE', '/api/v1/namespaces/default/pods?labelSelector=app%3Da', {
      body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 1 }),
      contentType: 'application/json',
    });
    expect(deleted.status, deleted.body).toBe(200);
    const list = deleted.json<{ kind: string; items: { metadata: { name: string } }[] }>();
    expect(list.kind).toBe('PodList');
    expect(list.items.map((item) => item.metadata.name)).toEqual(['a2', 'a3']);
    await eventually(
      () => kubectl('get', 'pods', '-l', 'app=a', '-o', 'name'),
      (printed) => printed === '',
      'the selected pods to go',
    );
    expect(kubectl('get', 'pdb', 'x', '-o', 'jsonpath={.status.expectedPods}')).toBe('0');
    expect(kubectl('delete', 'pdb', 'x').trim()).toBe('poddisruptionbudget.policy "x" deleted');
  });

  it('holds a budget with a finalizer until it is patched away; deleting an owner budget deletes the pod it owns', () => {
    const budget = (name: string, finalizers: string) =>
      `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: ${name}\n  finalizers: [${finalizers}]\nspec:\n  minAvailable: 1\n  selector: { matchLabels: { app: owned } }\n`;
    kubectl(
      'apply',
      '-f',
      writeManifest(
        plane,
        'budgets.yaml',
        `${budget('held', 'example.com/hold')}---\n${budget('owner', '')}`,
      ),
    );
    expect(kubectl('delete', 'pdb', 'held', '--wait=false').trim()).toBe(
      'poddisruptionbudget.policy "held" deleted',
    );
    expect(kubectl('get', 'pdb', 'held', '-o', 'jsonpath={.metadata.deletionTimestamp}')).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
    expect(
      fails('patch', 'pdb', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/more"]}}'),
    ).toContain(
      'no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    );
    expect(
      kubectl('patch', 'pdb', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}').trim(),
    ).toBe('poddisruptionbudget.policy/held patched');
    // kube-apiserver names the resource with its group (poddisruptionbudgets.policy); podplane's
    // registry does not yet.
    expect(fails('get', 'pdb', 'held')).toMatch(
      /^Error from server \(NotFound\): poddisruptionbudgets(\.policy)? "held" not found/,
    );

    const uid = kubectl('get', 'pdb', 'owner', '-o', 'jsonpath={.metadata.uid}');
    const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: owned\n  ownerReferences: [{ apiVersion: policy/v1, kind: PodDisruptionBudget, name: owner, uid: ${uid} }]\nspec:\n  containers: [{ name: app, image: nginx:1.27 }]\n`;
    kubectl('apply', '-f', writeManifest(plane, 'owned.yaml', pod));
    expect(kubectl('delete', 'pdb', 'owner').trim()).toBe('poddisruptionbudget.policy "owner" deleted');
    // Background propagation: the owner is gone, so its pod is deleted (Terminating, or gone).
    expect(kubectl('get', 'pods', 'owned', '--ignore-not-found', '--no-headers')).toMatch(
      /^(|owned\s+\S+\s+Terminating\s[^\n]*\n)$/,
    );
  });
});
