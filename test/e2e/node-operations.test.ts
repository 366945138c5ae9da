import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcsView } from '../../local/faults/chaos/ecs-view';
import type { LocalControlPlaneInfo } from '../../local/kubeconfig';
import {
  eventually,
  hasKubectl,
  kubectlFor,
  untilPrinted,
  useControlPlane,
  writeManifest,
} from './control-plane';

/**
 * Node operations with kubectl against `npm start`'s program: cordon and uncordon, taint and
 * untaint, label, and what the scheduler makes of each; drain, through evictions a disruption
 * budget may refuse. Checked by what kubectl prints and, for drain, by the tasks ECS still runs.
 */

describe.skipIf(!hasKubectl)('kubectl cordon, taint and label nodes', () => {
  const plane = useControlPlane('podplane-nodes-', ['--nodes', '2']);
  const { run: kubectl, fails: kubectlFails, status } = kubectlFor(plane);
  let first = '';
  let second = '';

  const podManifest = (name: string, extra = '') =>
    writeManifest(
      plane,
      `${name}.yaml`,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers: [{ name: app, image: nginx:1.27 }]\n${extra}`,
    );
  /** The tasks the ECS simulator runs for these pods (by uid), read as the chaos checks read them. */
  const liveTasksOf = async (uids: readonly string[]) => {
    const info = JSON.parse(
      readFileSync(join(plane.stateDir, 'control-plane.json'), 'utf8'),
    ) as LocalControlPlaneInfo;
    const ecs = new EcsView(info.ecsEndpoint ?? '', 'podplane');
    try {
      return (await ecs.liveTasks()).filter((task) => uids.includes(task.startedBy ?? ''));
    } finally {
      ecs.destroy();
    }
  };
  const nodeOf = async (pod: string) =>
    untilPrinted(
      () => kubectl('get', 'pod', pod, '-o', 'jsonpath={.spec.nodeName}'),
      /^i-/,
      `${pod} to be scheduled`,
    );

  beforeAll(() => {
    [first = '', second = ''] = kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}').split(
      ' ',
    );
  });

  it('cordons a node: SchedulingDisabled, and new pods go elsewhere; uncordon undoes it', async () => {
    const cordon = status('cordon', first);
    expect(cordon.code).toBe(0);
    expect(cordon.out.trim()).toBe(`node/${first} cordoned`);
    expect(kubectl('get', 'nodes')).toMatch(new RegExp(`^${first}\\s+Ready,SchedulingDisabled\\s`, 'm'));
    expect(kubectl('get', 'node', first, '-o', 'jsonpath={.spec.taints[*].key}')).toBe(
      'node.kubernetes.io/unschedulable',
    );
    for (const pod of ['c1', 'c2', 'c3']) kubectl('apply', '-f', podManifest(pod));
    for (const pod of ['c1', 'c2', 'c3']) expect(await nodeOf(pod)).toBe(second);

    expect(kubectl('uncordon', first).trim()).toBe(`node/${first} uncordoned`);
    expect(kubectl('get', 'nodes')).toMatch(new RegExp(`^${first}\\s+Ready\\s`, 'm'));
    expect(kubectl('get', 'node', first, '-o', 'jsonpath={.spec}')).not.toContain('unschedulable');
    kubectl('delete', 'pod', 'c1', 'c2', 'c3', '--wait=false');
  });

  it('taints a node so pods that do not tolerate it go elsewhere, and untaints it', async () => {
    expect(kubectl('taint', 'nodes', first, 'dedicated=gpu:NoSchedule').trim()).toBe(`node/${first} tainted`);
    expect(kubectl('describe', 'node', first)).toMatch(/^Taints:\s+dedicated=gpu:NoSchedule$/m);
    kubectl('apply', '-f', podManifest('t1'));
    kubectl('apply', '-f', podManifest('t2'));
    expect(await nodeOf('t1')).toBe(second);
    expect(await nodeOf('t2')).toBe(second);
    expect(kubectlFails('taint', 'nodes', first, 'dedicated=gpu:Sometimes')).toContain(
      'invalid taint effect: Sometimes, unsupported taint effect',
    );
    expect(kubectl('taint', 'nodes', first, 'dedicated=gpu:NoSchedule-').trim()).toBe(
      `node/${first} untainted`,
    );
    expect(kubectl('describe', 'node', first)).toMatch(/^Taints:\s+<none>$/m);
    kubectl('delete', 'pod', 't1', 't2', '--wait=false');
  });

  it('labels a node, and a pod selecting the label lands there', async () => {
    expect(kubectl('label', 'nodes', second, 'disk=ssd').trim()).toBe(`node/${second} labeled`);
    expect(kubectl('get', 'nodes', '-l', 'disk=ssd', '-o', 'name').trim()).toBe(`node/${second}`);
    // Three pods, so that landing there by chance (one in eight) is not mistaken for selection.
    const selecting = ['ssd1', 'ssd2', 'ssd3'];
    for (const pod of selecting) kubectl('apply', '-f', podManifest(pod, '  nodeSelector: { disk: ssd }\n'));
    for (const pod of selecting) expect(await nodeOf(pod)).toBe(second);
    // What ECS owns stays ECS's.
    expect(
      kubectlFails('label', 'nodes', second, 'node.kubernetes.io/instance-type=forged', '--overwrite'),
    ).toContain(
      `The Node "${second}" is invalid: metadata.labels[node.kubernetes.io/instance-type]: Forbidden: this label is set by podplane`,
    );
    kubectl('delete', 'pod', ...selecting, '--wait=false');
  });

  it('evicts the pods that do not tolerate a NoExecute taint, and records why', async () => {
    kubectl('apply', '-f', podManifest('victim', '  nodeSelector: { disk: ssd }\n'));
    kubectl(
      'apply',
      '-f',
      podManifest(
        'stayer',
        '  nodeSelector: { disk: ssd }\n  tolerations: [{ key: evict, operator: Exists, effect: NoExecute }]\n',
      ),
    );
    await untilPrinted(
      () => kubectl('get', 'pods', 'victim', 'stayer'),
      /^victim\s+1\/1\s+Running[\s\S]*^stayer\s+1\/1\s+Running/m,
      'both to run',
    );
    expect(kubectl('taint', 'nodes', second, 'evict=now:NoExecute').trim()).toBe(`node/${second} tainted`);
    await eventually(
      () => kubectl('get', 'pods', '-o', 'name'),
      (printed) => !printed.includes('pod/victim') && printed.includes('pod/stayer'),
      'victim to be evicted',
      20_000,
      200,
    );
    expect(kubectl('get', 'events')).toMatch(
      /Normal\s+TaintManagerEviction\s+pod\/victim\s+Marking for deletion Pod default\/victim$/m,
    );
    expect(kubectl('taint', 'nodes', second, 'evict=now:NoExecute-').trim()).toBe(`node/${second} untainted`);
  });

  it('drains a node: cordons it, evicts its pods, retries what a budget refuses until it allows', async () => {
    for (const pod of ['drained', 'guarded']) {
      kubectl('apply', '-f', podManifest(pod, `  nodeName: ${first}\n`));
      kubectl('label', 'pod', pod, `app=${pod}`);
    }
    kubectl(
      'apply',
      '-f',
      writeManifest(
        plane,
        'guarded-pdb.yaml',
        'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: guarded\nspec:\n  minAvailable: 1\n  selector: { matchLabels: { app: guarded } }\n',
      ),
    );
    await untilPrinted(
      () => kubectl('get', 'pods', 'drained', 'guarded'),
      /^drained\s+1\/1\s+Running[\s\S]*^guarded\s+1\/1\s+Running/m,
      'both to run',
    );
    expect(
      kubectl(
        'get',
        'pdb',
        'guarded',
        '-o',
        'jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}',
      ),
    ).toBe('1/0');
    const uids = kubectl(
      'get',
      'pods',
      'drained',
      'guarded',
      '-o',
      'jsonpath={.items[*].metadata.uid}',
    ).split(' ');
    expect(await liveTasksOf(uids)).toHaveLength(2);

    // The budget allows no disruption: drain evicts the other pod and retries this one until its timeout.
    const blocked = status('drain', first, '--force', '--ignore-daemonsets', '--timeout=3s');
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(new RegExp(`^node/${first} cordoned$`, 'm'));
    expect(blocked.stdout).toMatch(/^evicting pod default\/drained$/m);
    expect(blocked.stdout).toMatch(/^pod\/drained evicted$/m);
    expect(blocked.stderr).toContain('Warning: deleting Pods that declare no controller: default/');
    expect(blocked.stderr).toContain(
      `error when evicting pods/"guarded" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`,
    );
    expect(blocked.stderr).toContain(`error: unable to drain node "${first}"`);
    expect(blocked.out).not.toContain('pod/guarded evicted');
    expect(kubectl('get', 'pods', '-o', 'name')).toMatch(/^pod\/guarded$/m);
    expect(kubectl('get', 'pod', 'guarded')).toMatch(/^guarded\s+1\/1\s+Running\s/m);

    // Drained again, the refused eviction is retried; once the budget is gone, it goes through.
    const draining = spawn(
      'kubectl',
      [
        ...['--kubeconfig', plane.kubeconfig, '--cache-dir', join(plane.stateDir, 'cache')],
        ...['drain', first, '--force', '--ignore-daemonsets', '--timeout=40s'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    draining.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    draining.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => draining.once('exit', resolve));
    try {
      await eventually(
        () => stderr,
        (printed) => printed.includes('(will retry after 5s)'),
        'drain to be refused',
        20_000,
        100,
      );
      expect(kubectl('delete', 'pdb', 'guarded').trim()).toBe('poddisruptionbudget.policy "guarded" deleted');
      expect(await exited).toBe(0);
    } finally {
      draining.kill();
    }
    expect(stdout).toBe(
      [
        `node/${first} already cordoned`,
        'evicting pod default/guarded',
        'evicting pod default/guarded',
        'pod/guarded evicted',
        `node/${first} drained`,
        '',
      ].join('\n'),
    );
    expect(kubectl('get', 'nodes')).toMatch(new RegExp(`^${first}\\s+Ready,SchedulingDisabled\\s`, 'm'));
    expect(kubectl('get', 'pods', '-o', 'name')).not.toMatch(/^pod\/(drained|guarded)$/m);
    await eventually(
      () => liveTasksOf(uids),
      (tasks) => tasks.length === 0,
      'their tasks to stop',
      20_000,
      200,
    );
  }, 90_000);
});
