import { describe, expect, it } from 'vitest';
import {
  eventually,
  hasKubectl,
  kubectlFor,
  untilPrinted,
  useControlPlane,
  writeManifest,
} from './control-plane';

/**
 * What ECS would refuse never leaves a pod stuck, and pods are networked as on AWS: the
 * scheduler counts what ECS reserves, Fargate gets sizes it accepts, every pod has an address of
 * its own (awsvpc) and a node holds only as many pods as it has network interfaces for. Checked
 * with kubectl against `npm start`, whose ECS simulator refuses what ECS refuses.
 */

const podsTable = (kubectl: (...args: string[]) => string) => () => kubectl('get', 'pods', '--no-headers');
const running = (table: string) => table.split('\n').filter((line) => /\s1\/1\s+Running\s/.test(line)).length;

/** Waits until `count` pods show 1/1 Running in `kubectl get pods`. */
const untilRunning = (kubectl: (...args: string[]) => string, count: number) =>
  eventually(
    async () => podsTable(kubectl)(),
    (table) => running(table) === count,
    `${count} pods to run`,
    30_000,
    250,
  );

describe.skipIf(!hasKubectl)('pods without requests on a 1 GiB node', () => {
  const plane = useControlPlane('podplane-norequests-', ['--nodes', '1', '--node-memory', '1024']);
  const { run: kubectl } = kubectlFor(plane);

  it('run as many as ECS places, and the rest wait with the reason, then run once there is room', async () => {
    for (let i = 1; i <= 10; i++) kubectl('run', `nr${i}`, '--image=nginx');
    // ECS reserves 128 MiB for a container without a memory figure: eight fit in 1024 MiB.
    await untilRunning(kubectl, 8);
    const table = await untilPrinted(podsTable(kubectl), /^nr9\s+0\/1\s+Pending/m, 'nr9 to wait');
    expect(table).toMatch(/^nr10\s+0\/1\s+Pending/m);
    const described = kubectl('describe', 'pod', 'nr10');
    expect(described).toMatch(/FailedScheduling\s+.*0\/1 nodes are available: 1 Insufficient memory\./);
    expect(kubectl('get', 'pod', 'nr9', '-o', 'jsonpath={.status.conditions[0].reason}')).toBe(
      'Unschedulable',
    );

    kubectl('delete', 'pod', 'nr1', 'nr2', '--wait=false');
    await untilPrinted(
      () => kubectl('get', 'pods', 'nr9', 'nr10', '--no-headers'),
      /^nr9\s+1\/1\s+Running[\s\S]*^nr10\s+1\/1\s+Running/m,
      'nr9 and nr10 to run once nr1 and nr2 are gone',
    );
  });
});

describe.skipIf(!hasKubectl)('awsvpc pods on EC2 nodes (the default)', () => {
  // 2 vCPU and 4 GiB is a c5.large: 3 ENIs, so 2 pods without ENI trunking and 10 with it (the
  // ECS developer guide's table); the simulator, like an account with awsvpcTrunking on, trunks.
  const plane = useControlPlane('podplane-awsvpc-', [
    '--nodes',
    '1',
    '--node-cpu',
    '2',
    '--node-memory',
    '4Gi',
  ]);
  const { run: kubectl } = kubectlFor(plane);

  it('give every pod its own address, so two pods serve the same containerPort on one node', async () => {
    for (const name of ['web-a', 'web-b']) kubectl('run', name, '--image=nginx', '--port=80');
    await untilRunning(kubectl, 2);
    const ips = kubectl('get', 'pods', 'web-a', 'web-b', '-o', 'jsonpath={.items[*].status.podIP}').split(
      ' ',
    );
    const hostIPs = kubectl('get', 'pods', 'web-a', 'web-b', '-o', 'jsonpath={.items[*].status.hostIP}');
    expect(ips).toHaveLength(2);
    expect(ips[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ips[0]).not.toBe(ips[1]);
    // Their node's address is another: each pod has its own network interface.
    expect(hostIPs.split(' ')).not.toContain(ips[0]);
    expect(kubectl('get', 'node', '-o', 'jsonpath={.items[0].status.allocatable.pods}')).toBe('10');
  });

  it('say "Too many pods" once the node is out of network interfaces, and run when one ends', async () => {
    for (let i = 1; i <= 9; i++) kubectl('run', `eni${i}`, '--image=nginx');
    await untilRunning(kubectl, 10);
    await untilPrinted(() => kubectl('describe', 'pod', 'eni9'), /Too many pods/, 'eni9 to wait for an ENI');
    expect(kubectl('get', 'pod', 'eni9', '--no-headers')).toMatch(/^eni9\s+0\/1\s+Pending/);
    kubectl('delete', 'pod', 'web-a', '--wait=false');
    await untilPrinted(
      () => kubectl('get', 'pod', 'eni9', '--no-headers'),
      /^eni9\s+1\/1\s+Running/,
      'eni9 to run',
    );
  });
});

describe.skipIf(!hasKubectl)('Fargate pods', () => {
  const plane = useControlPlane('podplane-fargate-sizes-', ['--nodes', '1', '--fargate']);
  const { run: kubectl, status } = kubectlFor(plane);

  it('run at a Fargate size that holds every container, init containers included', async () => {
    const manifest = writeManifest(
      plane,
      'sized.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: sized }
spec:
  tolerations: [{ key: eks.amazonaws.com/compute-type, operator: Equal, value: fargate, effect: NoSchedule }]
  nodeSelector: { eks.amazonaws.com/compute-type: fargate }
  initContainers:
    - { name: migrate, image: busybox, resources: { requests: { cpu: 250m, memory: 256Mi } } }
  containers:
    - { name: app, image: nginx, resources: { requests: { cpu: 250m, memory: 512Mi } } }
`,
    );
    expect(kubectl('apply', '-f', manifest).trim()).toBe('pod/sized created');
    await untilPrinted(
      () => kubectl('get', 'pod', 'sized', '--no-headers'),
      /^sized\s+1\/1\s+Running/,
      'sized to run',
    );
    // 256 + 256 CPU units and 512 + 256 MiB: the smallest Fargate size holding both is 512 / 1024.
    expect(kubectl('describe', 'pod', 'sized')).toMatch(
      /FargateSize\s+.*Fargate runs this pod as 512 CPU units and 1024 MiB/,
    );
  });

  it('run a pod that asks for no privilege escalation, with a warning that Fargate cannot enforce it', async () => {
    const manifest = writeManifest(
      plane,
      'restricted.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: restricted }
spec:
  tolerations: [{ key: eks.amazonaws.com/compute-type, operator: Exists }]
  nodeSelector: { eks.amazonaws.com/compute-type: fargate }
  containers:
    - name: app
      image: nginx
      securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 1000 }
`,
    );
    const created = status('apply', '-f', manifest);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(
      /Warning: spec\.containers\[app\]\.securityContext\.allowPrivilegeEscalation: on Fargate, which has no no-new-privileges option/,
    );
    await untilPrinted(
      () => kubectl('get', 'pod', 'restricted', '--no-headers'),
      /^restricted\s+1\/1\s+Running/,
      'restricted to run',
    );
  });
});

describe.skipIf(!hasKubectl)('bridge-mode pods (podNetworking bridge)', () => {
  const plane = useControlPlane('podplane-bridge-', ['--nodes', '1', '--pod-networking', 'bridge']);
  const { run: kubectl, status } = kubectlFor(plane);

  it("share their node's address and show the host ports their container ports were published on", async () => {
    const created = status('run', 'dense', '--image=nginx', '--port=80');
    expect(created.stderr).toMatch(
      /Warning: podplane:podNetworking is bridge: the pod shares its node's address/,
    );
    await untilPrinted(
      () => kubectl('get', 'pod', 'dense', '--no-headers'),
      /^dense\s+1\/1\s+Running/,
      'dense to run',
    );
    const podIP = kubectl('get', 'pod', 'dense', '-o', 'jsonpath={.status.podIP}');
    expect(podIP).toBe(kubectl('get', 'pod', 'dense', '-o', 'jsonpath={.status.hostIP}'));
    expect(podIP).toBe(kubectl('get', 'node', '-o', 'jsonpath={.items[0].status.addresses[0].address}'));
    // A dynamic host port from Docker's ephemeral range.
    const published = await untilPrinted(
      () => kubectl('describe', 'pod', 'dense'),
      /podplane\.dev\/host-ports: dense:80\/tcp=(\d+)/,
      'the host port to be published',
    );
    const hostPort = Number(/host-ports: dense:80\/tcp=(\d+)/.exec(published)?.[1]);
    expect(hostPort).toBeGreaterThanOrEqual(32768);
    expect(hostPort).toBeLessThanOrEqual(60999);
  });

  it("keep two pods asking for one hostPort off the same node, as Kubernetes' NodePorts filter does", async () => {
    const [portA, portB] = ['port-a', 'port-b'].map((name) =>
      writeManifest(
        plane,
        `${name}.yaml`,
        `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
    - { name: web, image: nginx, ports: [{ containerPort: 80, hostPort: 8080 }] }
`,
      ),
    ) as [string, string];
    kubectl('apply', '-f', portA);
    await untilPrinted(
      () => kubectl('get', 'pod', 'port-a', '--no-headers'),
      /^port-a\s+1\/1\s+Running/,
      'port-a to run',
    );
    kubectl('apply', '-f', portB);
    await untilPrinted(
      () => kubectl('describe', 'pod', 'port-b'),
      /0\/1 nodes are available: 1 node\(s\) didn't have free ports for the requested pod ports\./,
      'port-b to wait for a free port',
    );
    expect(kubectl('get', 'pod', 'port-b', '--no-headers')).toMatch(/^port-b\s+0\/1\s+Pending/);
    kubectl('delete', 'pod', 'port-a', '--wait=false');
    await untilPrinted(
      () => kubectl('get', 'pod', 'port-b', '--no-headers'),
      /^port-b\s+1\/1\s+Running/,
      'port-b to run',
    );
  });
});
