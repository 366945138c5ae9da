import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ecsExecCommand, parseTaskArn, shellWord } from '../../functions/core/api/pod-connect';
import type { Pod } from '../../functions/core/k8s';
import type { PodRecord } from '../../functions/core/ports';
import { apiHarness } from './api-harness';

// exec, attach, port-forward and proxy need a connection API Gateway cannot carry (an upgraded
// SPDY/WebSocket stream) or a path into the pods' network the Lambda does not have. Each
// answers a 400 BadRequest Status that kubectl prints, saying why and what to run instead.

const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/podplane/0123456789abcdef0123456789abcdef';

const pod = (status: Pod['status'] = { phase: 'Running', podIP: '10.0.0.7' }): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
  spec: {
    nodeName: 'i-0abc',
    containers: [
      { name: 'app', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] },
      { name: 'sidecar', image: 'busybox', ports: [{ containerPort: 9090 }] },
    ],
  },
  status,
});

const setup = (seeded?: { pod: Pod; record?: Partial<Omit<PodRecord, 'pod' | 'resourceVersion'>> }) => {
  const { stores, call } = apiHarness();
  if (seeded) stores.pods.seed(seeded.pod, seeded.record);
  return async (
    method: string,
    path: string,
    query: Record<string, string> = {},
    queryValues?: Record<string, string[]>,
  ) => {
    const response = await call(method, path, { query, queryValues });
    return { statusCode: response.statusCode, status: JSON.parse(response.body) };
  };
};

const running = () => setup({ pod: pod(), record: { taskArn } });

/**
 * The words the printed `--command "..."` comes to: the user's shell reads the double quotes,
 * then ECS Exec splits what is left as a shell does (here sh itself, with `eval set --`).
 */
const wordsAfterTwoShells = (message: string): string[] => {
  const printed = /--command ("(?:[^"\\]|\\.)*")/.exec(message)?.[1] ?? '';
  const script = `command=${printed}; eval "set -- $command"; printf '%s\\0' "$@"`;
  return execFileSync('sh', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1);
};

const base = '/api/v1/namespaces/default/pods/web';

describe('pod connections podplane cannot carry', () => {
  it('answers kubectl exec (WebSocket GET and SPDY POST) with the ECS Exec command for its task', async () => {
    const call = running();
    for (const method of ['GET', 'POST']) {
      const { statusCode, status } = await call(method, `${base}/exec`, {
        command: 'sh',
        container: 'sidecar',
        stdin: 'true',
        tty: 'true',
      });
      expect(statusCode).toBe(400);
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
      expect(status.message).toMatch(/^podplane cannot run kubectl exec: API Gateway does not upgrade/);
      expect(status.message).toContain(
        `aws ecs execute-command --region eu-west-1 --cluster podplane --task ${taskArn} --container sidecar --interactive --command "sh"`,
      );
    }
  });

  it('joins the words kubectl sends as repeated command parameters, in order', async () => {
    // kubectl exec web -- ls -l /  =>  ?command=ls&command=-l&command=/ (query keeps the last)
    const { status } = await running()(
      'POST',
      `${base}/exec`,
      { command: '/' },
      { command: ['ls', '-l', '/'] },
    );
    expect(status.message).toContain('--container app --interactive --command "ls -l /"');
    expect(wordsAfterTwoShells(status.message)).toEqual(['ls', '-l', '/']);
  });

  it("execs in the pod's first container when none is named, quoting each word for the shell", async () => {
    // kubectl exec web -- sh -c 'echo "$HOME" it'"'"'s'
    const { status } = await running()(
      'POST',
      `${base}/exec`,
      { command: `echo "$HOME" it's` },
      { command: ['sh', '-c', `echo "$HOME" it's`] },
    );
    // The user's shell reads the double quotes away, leaving  sh -c 'echo "$HOME" it'\''s'
    expect(status.message).toContain(
      `--container app --interactive --command "sh -c 'echo \\"\\$HOME\\" it'\\\\''s'"`,
    );
    expect(wordsAfterTwoShells(status.message)).toEqual(['sh', '-c', `echo "$HOME" it's`]);
  });

  it('reads the one command parameter when the request carries no repeated values', async () => {
    const { status } = await running()('POST', `${base}/exec`, { command: 'cat /etc/hosts' });
    // One word that has a space in it, as kubectl exec web -- 'cat /etc/hosts' would send.
    expect(status.message).toContain(`--command "'cat /etc/hosts'"`);
    expect(wordsAfterTwoShells(status.message)).toEqual(['cat /etc/hosts']);
    const none = await running()('POST', `${base}/exec`, {}, {});
    expect(none.status.message).toContain('--command "/bin/sh"');
  });

  it('refuses a container the pod does not have, as for logs', async () => {
    const { statusCode, status } = await running()('POST', `${base}/exec`, {
      container: 'db',
      command: 'sh',
    });
    expect(statusCode).toBe(400);
    expect(status.message).toBe('container db is not valid for pod web');
  });

  it('says a pod without a task has nothing to exec into yet, with the waiting reason', async () => {
    const waiting = pod({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'app',
          image: 'nginx:1.27',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    });
    const { statusCode, status } = await setup({ pod: waiting })('POST', `${base}/exec`, { command: 'sh' });
    expect(statusCode).toBe(400);
    expect(status.message).toContain(
      'Pod "web" has no running ECS task yet (ContainerCreating); try again once it is Running.',
    );
    expect(status.message).not.toContain('aws ecs execute-command');
  });

  it('says a finished pod has no running task, though it keeps its last task ARN', async () => {
    const call = setup({ pod: pod({ phase: 'Succeeded' }), record: { taskArn } });
    const { status } = await call('POST', `${base}/exec`, { command: 'sh' });
    expect(status.message).toContain('Pod "web" has finished (Succeeded): it has no running ECS task.');
  });

  it('answers a pod that does not exist with 404 NotFound', async () => {
    for (const connection of ['exec', 'attach', 'portforward', 'proxy']) {
      const { statusCode, status } = await setup()('POST', `${base}/${connection}`);
      expect(statusCode).toBe(404);
      expect(status).toMatchObject({ reason: 'NotFound', message: 'pods "web" not found' });
    }
  });

  it('points kubectl attach at kubectl logs and ECS Exec', async () => {
    const { statusCode, status } = await running()('POST', `${base}/attach`, { container: 'app' });
    expect(statusCode).toBe(400);
    expect(status.message).toMatch(/^podplane cannot run kubectl attach: /);
    expect(status.message).toContain('`kubectl logs -n default web -c app`');
    expect(status.message).toContain(`--task ${taskArn} --container app --interactive --command "/bin/sh"`);
  });

  it('points kubectl port-forward at the pod IP and Session Manager port forwarding', async () => {
    const { statusCode, status } = await running()('GET', `${base}/portforward`, { ports: '9090' });
    expect(statusCode).toBe(400);
    expect(status.message).toMatch(/^podplane cannot run kubectl port-forward: /);
    expect(status.message).toContain('Connect to the pod at 10.0.0.7:9090 from inside its VPC');
    expect(status.message).toContain(
      `aws ssm start-session --region eu-west-1 --target ecs:podplane_0123456789abcdef0123456789abcdef_<runtime id> --document-name AWS-StartPortForwardingSession --parameters '{"portNumber":["9090"],"localPortNumber":["9090"]}'`,
    );
    // The runtime id is the container's that declares the port.
    expect(status.message).toContain(
      `--tasks ${taskArn} --query "tasks[0].containers[?name=='sidecar'].runtimeId"`,
    );
  });

  it("forwards the pod's first declared port when the request names none (kubectl's SPDY fallback)", async () => {
    const { status } = await running()('POST', `${base}/portforward`);
    expect(status.message).toContain('10.0.0.7:8080');
    expect(status.message).toContain("containers[?name=='app']");
  });

  it('answers proxy, with a path, a named port and any method, the same way', async () => {
    const call = running();
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const { statusCode, status } = await call(method, `${base}/proxy/healthz`);
      expect(statusCode).toBe(400);
      expect(status.message).toMatch(/^podplane cannot proxy to pods: its API server runs in AWS Lambda/);
    }
    const named = await call('GET', '/api/v1/namespaces/default/pods/web:http/proxy/');
    expect(named.status.message).toContain('10.0.0.7:8080');
    const bare = await call('GET', `${base}/proxy`);
    expect(bare.statusCode).toBe(400);
  });

  it('serves only the methods kubectl uses on exec, attach and port-forward', async () => {
    const { statusCode, status } = await running()('DELETE', `${base}/exec`);
    expect(statusCode).toBe(405);
    expect(status.reason).toBe('MethodNotAllowed');
  });
});

describe('ECS Exec command line', () => {
  it('reads the region and cluster from the task ARN', () => {
    expect(parseTaskArn(taskArn)).toEqual({
      arn: taskArn,
      region: 'eu-west-1',
      cluster: 'podplane',
      id: '0123456789abcdef0123456789abcdef',
    });
  });

  it('leaves the cluster to the user when an old-format ARN does not name it', () => {
    const old = 'arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef';
    expect(parseTaskArn(old)).toMatchObject({ cluster: '<cluster>', id: '0123456789abcdef' });
    expect(ecsExecCommand(parseTaskArn(old), 'app', 'ls')).toBe(
      `aws ecs execute-command --region us-east-1 --cluster <cluster> --task ${old} --container app --interactive --command "ls"`,
    );
  });
});

describe('command words for ECS Exec', () => {
  it('leaves plain words bare and single-quotes the rest, as a shell reads them back', () => {
    expect(['ls', '-l', '/', '--since=1h', 'user@host:/tmp,a+b%c'].map(shellWord)).toEqual([
      'ls',
      '-l',
      '/',
      '--since=1h',
      'user@host:/tmp,a+b%c',
    ]);
    expect(shellWord('hello world')).toBe(`'hello world'`);
    expect(shellWord('*.log')).toBe(`'*.log'`);
    expect(shellWord('$HOME')).toBe(`'$HOME'`);
    expect(shellWord(`it's`)).toBe(`'it'\\''s'`);
    expect(shellWord('')).toBe(`''`);
  });
});
