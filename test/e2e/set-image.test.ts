import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, untilPrinted, useControlPlane, writeManifest } from './control-plane';

/**
 * In-place pod updates through kubectl against `npm start`'s program: a new image restarts the
 * pod's task from a new task definition, once, and what Kubernetes does not allow is refused
 * with its message. Checked by what kubectl prints.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasKubectl)('kubectl set image', () => {
  const plane = useControlPlane('podplane-set-image-', ['--nodes', '2']);
  const { run: kubectl, fails: kubectlFails } = kubectlFor(plane);
  const field = (pod: string, path: string) => kubectl('get', 'pod', pod, '-o', `jsonpath={${path}}`);

  /**
   * The pod's events in the order `kubectl get events` prints them (by time, in whole seconds):
   * reason and message.
   */
  const eventsOf = (pod: string) =>
    kubectl('get', 'events')
      .split('\n')
      .map((line) => /^\S+\s+\S+\s+(\S+)\s+pod\/(\S+)\s+(.*)$/.exec(line))
      .filter((match) => match?.[2] === pod)
      .map((match) => `${match?.[1]} ${match?.[3]}`);

  beforeAll(async () => {
    const manifest = writeManifest(
      plane,
      'web.yaml',
      // Containers start 1.1 s after RunTask, so each run's Started is a second later than what
      // came before it, and the printed order of events (by whole seconds) is their real order.
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: { sim.podplane.dev/start-delay: 1100ms }\nspec:\n  containers: [{ name: app, image: nginx:1.27 }]\n',
    );
    expect(kubectl('apply', '-f', manifest).trim()).toBe('pod/web created');
    await untilPrinted(() => kubectl('get', 'pods'), /^web\s+1\/1\s+Running\s+0\s/m, 'web to run');
    // The first run's events are a second older than anything the image change makes.
    await sleep(1100);
  });

  it('restarts the pod once with the new image: restartCount 1, Killing then Started', async () => {
    expect(kubectl('set', 'image', 'pod/web', 'app=nginx:1.28').trim()).toBe('pod/web image updated');
    expect(field('web', '.spec.containers[0].image')).toBe('nginx:1.28');
    expect(field('web', '.metadata.generation')).toBe('2');
    const status = () =>
      `${field('web', '.status.phase')} ${field('web', '.status.containerStatuses[0].image')} ${field('web', '.status.containerStatuses[0].restartCount')} ${field('web', '.status.containerStatuses[0].ready')}`;
    await untilPrinted(status, 'Running nginx:1.28 1 true', 'the new image to run');
    expect(field('web', '.status.containerStatuses[0].lastState.terminated.reason')).toBe('Completed');
    expect(kubectl('get', 'pods')).toMatch(/^web\s+1\/1\s+Running\s+1 \(\S+ ago\)\s/m);

    const events = eventsOf('web');
    const killing = events.indexOf('Killing Container app definition changed, will be restarted');
    const started = (list: string[]) =>
      list.flatMap((e, i) => (e === 'Started Started container app' ? [i] : []));
    expect(started(events), events.join('\n')).toHaveLength(2);
    expect(started(events)[0]).toBeLessThan(killing);
    expect(started(events)[1]).toBeGreaterThan(killing);
    // Only the new run pulls nginx:1.28; within one second events may print in any order.
    expect(events).toEqual(
      expect.arrayContaining([
        'Pulling Pulling image "nginx:1.28"',
        'Pulled Successfully pulled image "nginx:1.28"',
      ]),
    );
    expect(events.filter((e) => e.startsWith('Killing') || e.startsWith('BackOff'))).toHaveLength(1);

    const described = kubectl('describe', 'pod', 'web');
    expect(described).toMatch(/^\s+Image:\s+nginx:1\.28$/m);
    expect(described).toMatch(/^\s+Restart Count:\s+1$/m);
    expect(described).toMatch(/^\s+Last State:\s+Terminated\n\s+Reason:\s+Completed$/m);
    const lines = described.slice(described.indexOf('Events:')).split('\n');
    const describedKilling = lines.findIndex((l) =>
      /Normal\s+Killing\s+\S+\s+kubelet\s+Container app definition changed, will be restarted$/.test(l),
    );
    const describedStarted = started(
      lines.map((l) =>
        /Normal\s+Started\s+\S+\s+kubelet\s+Started container app$/.test(l)
          ? 'Started Started container app'
          : l,
      ),
    );
    expect(describedKilling, described).toBeGreaterThan(0);
    expect(describedStarted).toHaveLength(2);
    expect(describedStarted[0]).toBeLessThan(describedKilling);
    expect(describedStarted[1]).toBeGreaterThan(describedKilling);
  });

  it('takes the same change as a JSON patch', async () => {
    expect(
      kubectl(
        'patch',
        'pod',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.29"}]',
      ).trim(),
    ).toBe('pod/web patched');
    const status = () =>
      `${field('web', '.status.containerStatuses[0].image')} ${field('web', '.status.containerStatuses[0].restartCount')} ${field('web', '.status.containerStatuses[0].ready')}`;
    await untilPrinted(status, 'nginx:1.29 2 true', 'the second image to run');
  });

  it('refuses a patch that also changes restartPolicy, naming the forbidden change, and changes nothing', async () => {
    const before = kubectl('get', 'pod', 'web', '-o', 'json');
    const refused = kubectlFails(
      'patch',
      'pod',
      'web',
      '-p',
      '{"spec":{"restartPolicy":"Never","containers":[{"name":"app","image":"nginx:1.30"}]}}',
    );
    expect(refused).toContain(
      'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(kubectl('get', 'pod', 'web', '-o', 'json')).toBe(before);
    expect(field('web', '.spec.restartPolicy')).toBe('Always');
  });
});
