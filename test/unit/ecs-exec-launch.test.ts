import { describe, expect, it, vi } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { environmentVariables } from '../../functions/wiring';
import { useEcsLaunch } from './ecs-launch-harness';

// With the stack's task role (podplane:ecsExec, on by default), the kubelet's ECS adapter
// registers pod task definitions with that role and starts tasks with execute command enabled,
// so the `aws ecs execute-command` kubectl exec is pointed to reaches them. The ECS simulator
// takes both fields as ECS does. Without the role, neither is sent.

const taskRoleArn = 'arn:aws:iam::000000000000:role/podplane-task';
const ecs = useEcsLaunch();

const pod = (uid: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${uid}`, namespace: 'default', uid },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
});

const launched = (uid: string) => ecs.launch(pod(uid));

describe('ECS Exec on pod tasks', () => {
  it('starts tasks with execute command enabled, their definition naming the task role', async () => {
    vi.stubEnv(environmentVariables.taskRole, taskRoleArn);
    const { task, taskDefinition } = await launched('00000000-0000-4000-8000-000000000001');
    expect(task?.enableExecuteCommand).toBe(true);
    expect(taskDefinition?.taskRoleArn).toBe(taskRoleArn);
  });

  it('sends neither when the stack turned ECS Exec off (an empty task role)', async () => {
    vi.stubEnv(environmentVariables.taskRole, '');
    const { task, taskDefinition } = await launched('00000000-0000-4000-8000-000000000002');
    expect(task?.enableExecuteCommand).toBe(false);
    expect(taskDefinition?.taskRoleArn).toBeUndefined();
  });
});
