import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, untilPrinted, useControlPlane } from './control-plane';

/**
 * What the kubectl on this machine prints for the commands podplane cannot carry through API
 * Gateway (exec, attach, port-forward, proxy), the pod's hostIP, and a control plane started
 * with its node size given as Kubernetes quantities.
 */

const taskArn = /--task (arn:aws:ecs:us-east-1:\d{12}:task\/podplane\/[0-9a-f]+) /;

describe.skipIf(!hasKubectl)('kubectl connections and node addresses', () => {
  const plane = useControlPlane('podplane-connect-', [
    '--nodes',
    '2',
    '--node-cpu',
    '2000m',
    '--node-memory',
    '4Gi',
  ]);
  const { run: kubectl, fails: kubectlFails } = kubectlFor(plane, { timeout: 20_000 });

  beforeAll(async () => {
    kubectl('run', 'web', '--image=nginx:1.27', '--port=80');
    await untilPrinted(() => kubectl('get', 'pods'), /^web\s+1\/1\s+Running/m, 'web to run');
  });

  it('sizes the nodes from --node-cpu 2000m and --node-memory 4Gi', () => {
    expect(kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].status.capacity.cpu}')).toBe('2000m 2000m');
    expect(kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].status.capacity.memory}')).toBe(
      '4096Mi 4096Mi',
    );
  });

  it("answers kubectl exec with the ECS Exec command for the pod's task and container", () => {
    const printed = kubectlFails('exec', 'web', '--', 'ls');
    expect(printed).toContain(
      'Error from server (BadRequest): podplane cannot run kubectl exec: API Gateway does not upgrade connections',
    );
    expect(printed).toMatch(taskArn);
    expect(printed).toContain(
      'aws ecs execute-command --region us-east-1 --cluster podplane --task arn:aws:ecs:',
    );
    expect(printed).toContain('--container web --interactive --command "ls"');
  });

  it('prints every word of the command kubectl sends as repeated command parameters', () => {
    expect(kubectlFails('exec', 'web', '--', 'ls', '-l', '/')).toContain(
      '--container web --interactive --command "ls -l /"',
    );
    expect(kubectlFails('exec', 'web', '--', 'sh', '-c', 'echo "a b"')).toContain(
      `--command "sh -c 'echo \\"a b\\"'"`,
    );
  });

  it('answers kubectl attach with kubectl logs and ECS Exec for the same task', () => {
    const printed = kubectlFails('attach', 'web');
    expect(printed).toContain('Error from server (BadRequest): podplane cannot run kubectl attach');
    expect(printed).toContain('`kubectl logs -n default web -c web`');
    expect(taskArn.exec(printed)?.[1]).toBe(taskArn.exec(kubectlFails('exec', 'web', '--', 'ls'))?.[1]);
  });

  it('answers kubectl port-forward with the pod IP and Session Manager port forwarding', () => {
    const printed = kubectlFails('port-forward', 'pod/web', '18080:80');
    const podIP = kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}');
    expect(printed).toContain('error: error upgrading connection: podplane cannot run kubectl port-forward');
    expect(printed).toContain(`Connect to the pod at ${podIP}:80 from inside its VPC`);
    expect(printed).toContain('aws ssm start-session --region us-east-1 --target ecs:podplane_');
    expect(printed).toContain('AWS-StartPortForwardingSession');
  });

  it('answers a proxied request to the pod, and a pod that does not exist, with a Status', () => {
    expect(kubectlFails('get', '--raw', '/api/v1/namespaces/default/pods/web/proxy/')).toContain(
      "Error from server (BadRequest): podplane cannot proxy to pods: its API server runs in AWS Lambda, outside the pods' network.",
    );
    expect(kubectlFails('exec', 'nothing', '--', 'ls')).toContain(
      'Error from server (NotFound): pods "nothing" not found',
    );
  });

  it("reports the node's InternalIP as the pod's hostIP", () => {
    const node = kubectl('get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}');
    const internalIP = kubectl(
      'get',
      'node',
      node,
      '-o',
      'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}',
    );
    expect(internalIP).toMatch(/^172\.31\.\d+\.\d+$/);
    expect(kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.hostIP}')).toBe(internalIP);
    expect(kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.hostIPs[0].ip}')).toBe(internalIP);
    expect(kubectl('get', 'nodes', '-o', 'wide')).toMatch(
      new RegExp(`^${node}\\s+Ready\\s.*\\s${internalIP}\\s`, 'm'),
    );
  });
});
