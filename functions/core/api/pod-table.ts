import type { Pod } from '../k8s';

/**
 * The server-side Table kubectl prints for `get pods`: NAME READY STATUS RESTARTS AGE, and with
 * -o wide IP and NODE. Cells follow kubectl's pod printer so STATUS reads the way users expect.
 */
export function podTable(pods: readonly Pod[], now: Date, resourceVersion = '') {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      {
        name: 'Ready',
        type: 'string',
        format: '',
        description: 'The aggregate readiness state of this pod for accepting traffic.',
        priority: 0,
      },
      {
        name: 'Status',
        type: 'string',
        format: '',
        description: 'The aggregate status of the containers in this pod.',
        priority: 0,
      },
      {
        name: 'Restarts',
        type: 'string',
        format: '',
        description: 'The number of times the containers in this pod have been restarted.',
        priority: 0,
      },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp of the pod.', priority: 0 },
      {
        name: 'IP',
        type: 'string',
        format: '',
        description: 'IP address allocated to the pod.',
        priority: 1,
      },
      {
        name: 'Node',
        type: 'string',
        format: '',
        description: 'Name of the node the pod is assigned to.',
        priority: 1,
      },
    ],
    rows: pods.map((pod) => ({
      cells: [
        pod.metadata?.name ?? '',
        readyCell(pod),
        podStatusReason(pod),
        String((pod.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0)),
        age(pod.metadata?.creationTimestamp, now),
        pod.status?.podIP ?? '<none>',
        pod.spec?.nodeName ?? '<none>',
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata },
    })),
  };
}

function readyCell(pod: Pod): string {
  const total = pod.spec?.containers.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

/** kubectl's STATUS: a waiting or terminated container's reason beats the phase; deletion shows Terminating. */
export function podStatusReason(pod: Pod): string {
  let reason = pod.status?.reason ?? pod.status?.phase ?? 'Pending';
  for (const container of pod.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting?.reason;
    const terminated = container.state?.terminated;
    if (waiting) reason = waiting;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated)
      reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
  }
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  return reason;
}

/** Human age as kubectl prints it: 45s, 3m, 2m10s, 5h, 3d. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
