import type { TaskView } from '../ecs/types';
import { podEvent, recordQuietly } from '../events';
import type { Container, Pod, PodStatus } from '../k8s';
import {
  containersWithNewImage,
  definitionChangedMessage,
  definitionChangedStatus,
} from '../pod/spec-change';
import { podStage } from '../pod/stage';
import type { PodRecord } from '../ports';
import type { KubeletDeps } from './kubelet';
import { scheduleChangedDeadline } from './pod-deadline';
import type { PodStatusDeps } from './pod-status';
import { withFreshPod } from './retry';

/**
 * The kubelet's answer to a spec change (stage `replace`: metadata.generation grew past the
 * generation it last acted on for the pod's task). A container with a new image is restarted
 * from its new definition, whatever the restart policy: the task is stopped with a reason that
 * says so, and once it has stopped the status path starts the next generation at once (see
 * restartWithNewDefinition). A pod waiting out a back-off runs the new image now. Any other
 * change (a deadline, tolerations) restarts nothing; a set or lowered deadline gets its timer.
 *
 * Recording the generation acted on is what makes this happen once: stream records arrive more
 * than once and out of order, so the pod is read afresh and a record whose change has been acted
 * on finds it no longer in stage `replace`.
 */
export async function syncSpecChange(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const current = await deps.pods.getPod(
    first.pod.metadata?.namespace ?? 'default',
    first.pod.metadata?.name ?? '',
    true,
  );
  if (!current || current.pod.metadata?.uid !== first.pod.metadata?.uid) return;
  let acted: Pod | undefined;
  let killed: { pod: Pod; taskArn: string; containers: Container[] } | undefined;
  await withFreshPod(current, deps.pods, async (record) => {
    if (podStage(record.pod, record) !== 'replace') return;
    acted = record.pod;
    const changed = containersWithNewImage(record.pod);
    if (changed.length > 0 && record.restartDue !== undefined) {
      // The task has stopped already. The kubelet's back-off belongs to a container's
      // definition, so a new one starts at once, with a back-off of its own.
      await deps.pods.updatePod(record, record.pod, {
        clearTask: true,
        restartDue: null,
        ...(record.taskArn ? { previousTaskArn: record.taskArn } : {}),
        ...(record.backOff ? { backOff: { kind: record.backOff.kind, steps: 0 } } : {}),
      });
      return;
    }
    const stopping = changed.length > 0 && record.restartDue === undefined ? record.taskArn : undefined;
    // Stopped at most once here, even when a conflicting write makes us read the pod again.
    if (stopping && killed?.taskArn !== stopping) {
      await deps.runtime.stopPod(
        record.pod,
        stopping,
        changed.map((c) => definitionChangedMessage(c.name)).join('; '),
      );
      killed = { pod: record.pod, taskArn: stopping, containers: changed };
    }
    await deps.pods.updatePod(record, record.pod, { specGeneration: record.pod.metadata?.generation ?? 1 });
  });
  if (killed) {
    const now = new Date(deps.now());
    for (const container of killed.containers)
      await recordQuietly(
        deps.events,
        podEvent(
          killed.pod,
          {
            type: 'Normal',
            reason: 'Killing',
            message: definitionChangedMessage(container.name),
            component: 'kubelet',
            key: `${killed.taskArn}|${container.name}|definition`,
            fieldPath: `spec.containers{${container.name}}`,
          },
          now,
        ),
      );
  }
  if (acted) await scheduleChangedDeadline(acted, deps.timers, deps.now());
}

/**
 * The task podplane stopped for a new image has stopped (its STOPPED event or a description of
 * it): the next generation is reserved and the kubelet launches it at once from the pod's spec
 * as it is now, whatever the restart policy and without a back-off. The containers count a
 * restart, as Kubernetes counts the restart of a container whose definition changed; a task
 * restarts as a whole, so all of them do.
 */
export async function restartWithNewDefinition(
  record: PodRecord,
  task: TaskView,
  exited: PodStatus,
  deps: PodStatusDeps,
): Promise<void> {
  const ran = task.startedAt !== undefined;
  const next: Pod = { ...record.pod, status: definitionChangedStatus(record.pod, task, exited, deps.now()) };
  await deps.pods.updatePod(record, next, {
    clearTask: true,
    restartDue: null,
    taskGeneration: record.taskGeneration + 1,
    ...(ran ? { previousTaskArn: task.taskArn } : {}),
    ...(record.backOff ? { backOff: { kind: record.backOff.kind, steps: 0 } } : {}),
  });
  if (ran) deps.metrics?.count('PodRestarts');
}
