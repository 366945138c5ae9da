import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, untilPrinted, useControlPlane, writeManifest } from './control-plane';

/**
 * Issue 24 through kubectl against `npm start`: a pod for another scheduler waits, unbound, until
 * that scheduler POSTs its Binding (here `kubectl create --raw`, as any client would), then runs;
 * a second Binding is a 409. A pod with an init container shows Init:0/1, then runs, its init
 * container Completed.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasKubectl)('other schedulers and init containers, with kubectl', () => {
  const plane = useControlPlane('podplane-other-schedulers-', ['--nodes', '1']);
  const { run: kubectl, fails } = kubectlFor(plane);
  const field = (pod: string, path: string) => kubectl('get', 'pod', pod, '-o', `jsonpath={${path}}`);

  it('leaves a my-scheduler pod Pending until its Binding, then runs it; binds once', async () => {
    const manifest = writeManifest(
      plane,
      'other.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: other\nspec:\n  schedulerName: my-scheduler\n  containers: [{ name: app, image: nginx:1.27 }]\n',
    );
    expect(kubectl('apply', '-f', manifest).trim()).toBe('pod/other created');
    // Long enough for podplane's scheduler to have bound it, were it its pod.
    await sleep(1500);
    expect(kubectl('get', 'pods')).toMatch(/^other\s+0\/1\s+Pending\s+0\s/m);
    expect(field('other', '.spec.nodeName')).toBe('');
    expect(field('other', '.status.conditions')).toBe('');

    const nodeName = kubectl('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}');
    const binding = writeManifest(
      plane,
      'binding.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'other' },
        target: { kind: 'Node', name: nodeName },
      }),
    );
    const path = '/api/v1/namespaces/default/pods/other/binding';
    expect(JSON.parse(kubectl('create', '--raw', path, '-f', binding))).toMatchObject({
      kind: 'Status',
      status: 'Success',
    });
    await untilPrinted(() => kubectl('get', 'pods'), /^other\s+1\/1\s+Running\s+0\s/m, 'other to run');
    expect(field('other', '.spec.nodeName')).toBe(nodeName);
    expect(fails('create', '--raw', path, '-f', binding)).toContain(
      `pod other is already assigned to node "${nodeName}"`,
    );
  });

  it('shows an init container as Init:0/1, then Running, its init container Completed', async () => {
    const manifest = writeManifest(
      plane,
      'init.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: init\n  annotations: { sim.podplane.dev/start-delay: 3s }\nspec:\n  initContainers: [{ name: setup, image: busybox:1.36 }]\n  containers: [{ name: app, image: nginx:1.27 }]\n',
    );
    expect(kubectl('apply', '-f', manifest).trim()).toBe('pod/init created');
    await untilPrinted(() => kubectl('get', 'pods', 'init'), /^init\s+0\/1\s+Init:0\/1\s+0\s/m, 'Init:0/1');
    await untilPrinted(() => kubectl('get', 'pods', 'init'), /^init\s+1\/1\s+Running\s+0\s/m, 'init to run');
    expect(field('init', '.status.initContainerStatuses[0].state.terminated.reason')).toBe('Completed');
    expect(field('init', '.status.conditions[?(@.type=="Initialized")].status')).toBe('True');
  });
});
