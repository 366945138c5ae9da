import { createHash } from 'node:crypto';
import type { Event } from 'kubernetes-types/core/v1';
import type { Container, Pod } from './k8s';
import { kubernetesTime } from './time';

export type { Event };

export interface EventRecorder {
  /** Writes (or overwrites) an event; the same occurrence always has the same name. */
  record(event: Event): Promise<void>;
  /** Writes many events in as few requests as the store allows (a batch's Scheduled events). */
  recordMany(events: readonly Event[]): Promise<void>;
}

export interface PodEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** The component that saw it, as in `kubectl describe`'s From column: `kubelet`, a scheduler's name or `taint-eviction-controller`. */
  readonly component: string;
  /** What makes this occurrence distinct (a node, a task, an attempt); the same key is one event. */
  readonly key?: string;
  readonly fieldPath?: string;
}

/**
 * An event about a pod, named from what it is about so that a controller handling the same
 * record twice writes the same event once (Kubernetes names events `<object>.<unique suffix>`).
 */
export function podEvent(pod: Pod, event: PodEvent, now: Date): Event {
  const uid = pod.metadata?.uid ?? '';
  const suffix = createHash('sha256')
    .update(`${uid}|${event.reason}|${event.key ?? event.message}`)
    .digest('hex')
    .slice(0, 16);
  const time = kubernetesTime(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata?.name}.${suffix}`, namespace: pod.metadata?.namespace ?? 'default' },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? 'default',
      uid,
      ...(event.fieldPath ? { fieldPath: event.fieldPath } : {}),
    },
    type: event.type,
    reason: event.reason,
    message: event.message,
    source: {
      component: event.component,
      ...(event.component === 'kubelet' && pod.spec?.nodeName ? { host: pod.spec.nodeName } : {}),
    },
    reportingComponent: event.component,
    reportingInstance: event.component === 'kubelet' ? (pod.spec?.nodeName ?? '') : 'podplane',
    firstTimestamp: time,
    lastTimestamp: time,
    // MicroTime: orders events recorded within the same second.
    eventTime: now.toISOString().replace(/Z$/, '000Z'),
    count: 1,
  };
}

/** Events are best effort, as in Kubernetes: failing to record one never fails the work. */
export async function recordQuietly(recorder: EventRecorder, event: Event): Promise<void> {
  try {
    await recorder.record(event);
  } catch {
    // A lost event is a lost hint; the pod's status still says what happened.
  }
}

/** recordQuietly for many events at once. */
export async function recordManyQuietly(recorder: EventRecorder, events: readonly Event[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await recorder.recordMany(events);
  } catch {
    // As above: events are hints.
  }
}

/** One kubelet event per app container (fieldPath `spec.containers{name}`), as `describe` lists them. */
export async function recordContainerEvents(
  recorder: EventRecorder,
  pod: Pod,
  event: {
    type: 'Normal' | 'Warning';
    reason: string;
    key: string;
    message: (container: Container) => string;
  },
  now: Date,
): Promise<void> {
  await Promise.all(
    (pod.spec?.containers ?? []).map((container) =>
      recordQuietly(
        recorder,
        podEvent(
          pod,
          {
            type: event.type,
            reason: event.reason,
            message: event.message(container),
            component: 'kubelet',
            key: `${event.key}|${container.name}`,
            fieldPath: `spec.containers{${container.name}}`,
          },
          now,
        ),
      ),
    ),
  );
}
