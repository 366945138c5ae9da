import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, untilPrinted, useControlPlane, writeManifest } from './control-plane';

/**
 * The kubectl on this machine, with its default validation, against `npm start`'s program:
 * every command the API server issue lists, checked by what kubectl prints.
 */

describe.skipIf(!hasKubectl)('kubectl against podplane', () => {
  const plane = useControlPlane('podplane-kubectl-', ['--nodes', '2']);
  const { run: kubectl, fails: kubectlFails } = kubectlFor(plane);

  it('creates, applies and re-applies a pod, and lists it by label and across namespaces', async () => {
    const web = writeManifest(
      plane,
      'web.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
  annotations:
    sim.podplane.dev/logs: |
      listening on :80
      GET / 200
spec:
  containers:
    - name: web
      image: nginx:1.27
      resources: { requests: { cpu: 100m, memory: 64Mi } }
`,
    );
    expect(kubectl('create', '-f', web).trim()).toBe('pod/web created');
    expect(kubectlFails('create', '-f', web)).toContain('Error from server (AlreadyExists)');
    const db = writeManifest(
      plane,
      'db.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  labels: { app: db }\nspec:\n  containers: [{ name: db, image: postgres:17 }]\n',
    );
    expect(kubectl('apply', '-f', db).trim()).toBe('pod/db created');
    expect(kubectl('apply', '-f', db).trim()).toBe('pod/db unchanged');
    await untilPrinted(() => kubectl('get', 'pods'), /^web\s+1\/1\s+Running/m, 'web to run');

    const table = kubectl('get', 'pods');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const wide = kubectl('get', 'pods', '-o', 'wide');
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(wide).toMatch(/^web\s+1\/1\s+Running\s+0\s+\S+\s+\d+\.\d+\.\d+\.\d+\s+i-\w+/m);
    expect(kubectl('get', 'pods', '-l', 'app=web', '-o', 'name').trim()).toBe('pod/web');
    expect(kubectl('get', 'pods', '-A').split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY/);
    const asJson = JSON.parse(kubectl('get', 'pod', 'web', '-o', 'json'));
    expect(asJson).toMatchObject({
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { restartPolicy: 'Always' },
    });
    expect(kubectl('get', 'pod', 'web', '-o', 'yaml')).toMatch(/^\s+phase: Running$/m);
  });

  it('describes a pod with its events and shows logs', () => {
    const described = kubectl('describe', 'pod', 'web');
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Status:\s+Running$/m);
    expect(described).toMatch(
      /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web to i-/,
    );
    expect(described).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container web/);
    expect(kubectl('logs', 'web')).toBe('listening on :80\nGET / 200\n');
    expect(kubectl('logs', 'web', '--tail', '1')).toBe('GET / 200\n');
    expect(kubectl('get', 'events')).toMatch(/Normal\s+Scheduled\s+pod\/web\s+Successfully assigned/);
  });

  it('runs pods with kubectl run: a server that stays up, and a command that completes', async () => {
    expect(kubectl('run', 'quick', '--image=nginx:1.27', '--port=80', '--labels=app=quick').trim()).toBe(
      'pod/quick created',
    );
    expect(
      kubectl(
        'run',
        'once',
        '--image=busybox:1.36',
        '--restart=Never',
        '--annotations=sim.podplane.dev/exit-after=1s',
        '--',
        'sh',
        '-c',
        'echo done',
      ).trim(),
    ).toBe('pod/once created');
    await untilPrinted(() => kubectl('get', 'pods'), /^quick\s+1\/1\s+Running\s+0\s/m, 'quick to run');
    await untilPrinted(() => kubectl('get', 'pods'), /^once\s+0\/1\s+Completed\s+0\s/m, 'once to complete');
    expect(
      kubectl('get', 'pod', 'quick', '-o', 'jsonpath={.spec.containers[0].ports[0].containerPort}'),
    ).toBe('80');
    expect(kubectl('get', 'pod', 'once', '-o', 'jsonpath={.spec.containers[0].args}')).toBe(
      '["sh","-c","echo done"]',
    );
    kubectl('delete', 'pod', 'quick', 'once');
  });

  it('rejects invalid pods and unknown fields with the apiserver’s messages', () => {
    const typo = writeManifest(
      plane,
      'typo.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: typo }\nspec:\n  containers: [{ name: app, image: nginx, imagePullPolicyy: Always }]\n',
    );
    expect(kubectlFails('apply', '-f', typo)).toContain(
      'unknown field "spec.containers[0].imagePullPolicyy"',
    );
    const bad = writeManifest(
      plane,
      'bad.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: bad }\nspec:\n  containers: [{ name: Bad_Name, image: nginx }]\n',
    );
    expect(kubectlFails('apply', '-f', bad)).toMatch(
      /The Pod "bad" is invalid: spec\.containers\[0\]\.name: Invalid value: "Bad_Name"/,
    );
    expect(kubectl('get', 'pods', '-o', 'name')).not.toMatch(/typo|bad/);
  });

  it('labels a pod but refuses spec changes Kubernetes does not allow (set-image.test.ts changes images)', () => {
    expect(kubectl('label', 'pod', 'web', 'tier=frontend').trim()).toBe('pod/web labeled');
    expect(kubectl('get', 'pod', 'web', '-o', 'jsonpath={.metadata.labels.tier}')).toBe('frontend');
    expect(kubectlFails('patch', 'pod', 'web', '-p', '{"spec":{"restartPolicy":"Never"}}')).toContain(
      'pod updates may not change fields',
    );
  });

  it('lists nodes and namespaces, and deletes a namespace with its pods', async () => {
    expect(kubectl('get', 'nodes').split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(kubectl('get', 'nodes', '-o', 'name').trim().split('\n')).toHaveLength(2);
    expect(kubectl('create', 'namespace', 'team-a').trim()).toBe('namespace/team-a created');
    expect(kubectl('get', 'ns')).toMatch(/^team-a\s+Active\s+\d+s$/m);
    const pod = writeManifest(
      plane,
      'team.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: { name: worker }\nspec:\n  containers: [{ name: app, image: busybox:1.36 }]\n',
    );
    expect(kubectl('-n', 'team-a', 'apply', '-f', pod).trim()).toBe('pod/worker created');
    await untilPrinted(() => kubectl('-n', 'team-a', 'get', 'pods'), /Running/, 'worker to run');
    expect(kubectl('delete', 'namespace', 'team-a').trim()).toBe('namespace "team-a" deleted');
    expect(kubectl('get', 'ns', '-o', 'name')).not.toContain('team-a');
    expect(kubectlFails('-n', 'team-a', 'get', 'pod', 'worker')).toContain('NotFound');
  });

  it('deletes pods and returns once they are gone', () => {
    expect(kubectl('delete', 'pod', 'web', 'db').trim().split('\n')).toEqual([
      'pod "web" deleted',
      'pod "db" deleted',
    ]);
    expect(kubectl('get', 'pods', '-o', 'name')).toBe('');
  });
});
