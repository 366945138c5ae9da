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
        restartsCell(pod, now),
        age(pod.metadata?.creationTimestamp, now),
        pod.status?.podIP ?? '<none>',
        pod.spec?.nodeName ?? '<none>',
      ],
      object: pod,
    })),
  };
}

function readyCell(pod: Pod): string {
  const total = pod.spec?.containers.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

/** RESTARTS: the count, and since Kubernetes 1.28 how long ago the last restart was. */
function restartsCell(pod: Pod, now: Date): string {
  // While the init containers run, kubectl counts their restarts; after, the app containers'.
  const statuses =
    (initReason(pod) !== undefined && !isInitialized(pod)
      ? pod.status?.initContainerStatuses
      : pod.status?.containerStatuses) ?? [];
  const restarts = statuses.reduce((n, c) => n + c.restartCount, 0);
  const last = statuses
    .map((c) => c.lastState?.terminated?.finishedAt)
    .filter((t): t is string => Boolean(t))
    .sort()
    .at(-1);
  return restarts > 0 && last ? `${restarts} (${age(last, now)} ago)` : String(restarts);
}

/**
 * kubectl's STATUS column: the pod's reason or phase, overridden by container states (walked
 * from the last container to the first, so the first one's reason wins), Terminating while a
 * deleted pod has not finished.
 */
export function podStatusReason(pod: Pod): string {
  const phase = pod.status?.phase ?? 'Pending';
  let reason = pod.status?.reason || phase;
  const init = initReason(pod);
  if (init !== undefined) reason = init;
  if (init !== undefined && !isInitialized(pod)) return finalReason(pod, phase, reason);
  let hasRunning = false;
  const statuses = pod.status?.containerStatuses ?? [];
  for (let i = statuses.length - 1; i >= 0; i--) {
    const container = statuses[i];
    const waiting = container?.state?.waiting;
    const terminated = container?.state?.terminated;
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated)
      reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
    else if (container?.ready && container.state?.running) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    reason = ready ? 'Running' : 'NotReady';
  }
  return finalReason(pod, phase, reason);
}

const isInitialized = (pod: Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false;

const finalReason = (pod: Pod, phase: string, reason: string) =>
  pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed' ? 'Terminating' : reason;

/**
 * kubectl's reading of the init containers, in order: the first that has not succeeded says
 * `Init:<reason>` (terminated or waiting for a reason of its own: `Init:Error`,
 * `Init:CrashLoopBackOff`) or `Init:<done>/<all>`; undefined once all have succeeded (a started
 * sidecar counts as done).
 */
function initReason(pod: Pod): string | undefined {
  const statuses = pod.status?.initContainerStatuses ?? [];
  const total = pod.spec?.initContainers?.length ?? statuses.length;
  for (const [i, container] of statuses.entries()) {
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    const sidecar =
      pod.spec?.initContainers?.find((c) => c.name === container.name)?.restartPolicy === 'Always';
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && container.started) continue;
    if (terminated) {
      if (terminated.reason) return `Init:${terminated.reason}`;
      return terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    }
    if (waiting?.reason && waiting.reason !== 'PodInitializing') return `Init:${waiting.reason}`;
    return `Init:${i}/${total}`;
  }
  return undefined;
}

/** The AGE column: apimachinery's HumanDuration (45s, 2m10s, 10m, 3h5m, 47h, 2d5h, 30d, 2y). */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.trunc((now.getTime() - Date.parse(timestamp)) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
