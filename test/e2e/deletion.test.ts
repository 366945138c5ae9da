import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EcsView } from '../../local/faults/chaos/ecs-view';
import { hasKubectl } from './control-plane';
import { kubectlAsync, until, useInProcessPlane } from './in-process-plane';

/**
 * Deleting pods as kubectl users do, against the control plane `npm start` runs: a finalizer
 * keeps a deleted pod Terminating (its task stopped) until it is patched away, and a forced
 * delete removes a pod at once while its task is still stopped. Checked by what kubectl prints
 * and by the tasks the ECS simulator still runs.
 */

describe.skipIf(!hasKubectl)('kubectl delete: finalizers and force', () => {
  const plane = useInProcessPlane('podplane-deletion-', 1);
  const kubectl = async (...args: string[]) => {
    const run = await kubectlAsync(plane, args);
    return { ...run, out: `${run.stdout}${run.stderr}`.trim() };
  };
  const liveTasksOf = async (uid: string) => {
    const ecs = new EcsView(plane.handle.ecs.endpoint, 'podplane');
    try {
      return (await ecs.liveTasks()).filter((task) => task.startedBy === uid);
    } finally {
      ecs.destroy();
    }
  };
  const manifest = (name: string, metadata = '', spec = '') => {
    const path = join(plane.stateDir, `${name}.yaml`);
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: "${name}"\n${metadata}spec:\n${spec}  containers: [{ name: app, image: nginx:1.27 }]\n`,
    );
    return path;
  };
  const removeFinalizers = (name: string) =>
    kubectl('patch', 'pod', name, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
  const runPod = async (name: string, metadata = '') => {
    expect((await kubectl('apply', '-f', manifest(name, metadata))).out).toBe(`pod/${name} created`);
    await until(
      async () => (await kubectl('get', 'pod', name)).out,
      (out) => new RegExp(`^${name}\\s+1/1\\s+Running\\s`, 'm').test(out),
      `${name} to run`,
      30_000,
    );
    const uid = (await kubectl('get', 'pod', name, '-o', 'jsonpath={.metadata.uid}')).out;
    expect(await liveTasksOf(uid)).toHaveLength(1);
    return uid;
  };

  it('keeps a pod with a finalizer Terminating until the finalizer is removed', async () => {
    // No node has this label: the pod stays Pending, so nothing but its finalizer decides.
    await kubectl(
      'apply',
      '-f',
      manifest('x', '  finalizers: [example.com/hold]\n', '  nodeSelector: { example.com/none: "x" }\n'),
    );
    expect((await kubectl('delete', 'pod', 'x', '--wait=false')).out).toBe('pod "x" deleted');
    expect((await kubectl('get', 'pod', 'x')).out).toMatch(/^x\s+0\/1\s+Terminating\s/m);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await kubectl('get', 'pod', 'x')).out).toMatch(/^x\s+0\/1\s+Terminating\s/m);
    expect((await removeFinalizers('x')).out).toBe('pod/x patched');
    const gone = await kubectl('get', 'pod', 'x');
    expect(gone.code).not.toBe(0);
    expect(gone.out).toBe('Error from server (NotFound): pods "x" not found');
  }, 60_000);

  it('stops the task of a running pod a finalizer holds, and keeps the pod until it is removed', async () => {
    const uid = await runPod('held', '  finalizers: [example.com/hold]\n');
    expect((await kubectl('delete', 'pod', 'held', '--wait=false')).out).toBe('pod "held" deleted');
    await until(
      () => liveTasksOf(uid),
      (tasks) => tasks.length === 0,
      'the task to stop',
      30_000,
    );
    // Its containers ended: kubectl prints the reason of its phase, as for any finished pod.
    await until(
      async () => (await kubectl('get', 'pod', 'held')).out,
      (out) => /^held\s+0\/1\s+Completed\s/m.test(out),
      'the held pod to show its containers ended',
    );
    const meta = await kubectl(
      'get',
      'pod',
      'held',
      '-o',
      'jsonpath={.metadata.finalizers} {.metadata.deletionGracePeriodSeconds}',
    );
    expect(meta.out).toBe('["example.com/hold"] 0');
    expect((await removeFinalizers('held')).out).toBe('pod/held patched');
    expect((await kubectl('get', 'pod', 'held')).out).toBe(
      'Error from server (NotFound): pods "held" not found',
    );
  }, 90_000);

  it('removes a pod at once with --grace-period=0 --force, and its task is stopped still', async () => {
    const uid = await runPod('y');
    const deleted = await kubectl('delete', 'pod', 'y', '--grace-period=0', '--force');
    expect(deleted.code).toBe(0);
    expect(deleted.out).toMatch(/^pod "y" force deleted$/m);
    const gone = await kubectl('get', 'pod', 'y');
    expect(gone.out).toBe('Error from server (NotFound): pods "y" not found');
    await until(
      () => liveTasksOf(uid),
      (tasks) => tasks.length === 0,
      'the task to stop',
      30_000,
    );
  }, 90_000);
});
