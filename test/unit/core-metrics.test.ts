import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { isFirstRunning, latencySinceCreation } from '../../functions/core/metrics';
import { recordingMetrics } from './recording-metrics';

// StartupLatency is Kubernetes' pod startup SLI: creation to the first Running, once per pod.

const withStatus = (status: Pod['status']): Pod => ({ metadata: { name: 'web' }, status });
const creating = withStatus({
  phase: 'Pending',
  containerStatuses: [
    { name: 'app', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } },
  ],
});
const running = withStatus({ phase: 'Running' });

describe('isFirstRunning', () => {
  it('is true when a pod whose containers never ran starts running', () => {
    expect(isFirstRunning(creating, running)).toBe(true);
  });

  it('is false for a pod that runs again after a restart', () => {
    const restarting = withStatus({
      phase: 'Pending',
      containerStatuses: [
        { name: 'app', image: 'nginx', imageID: '', ready: false, restartCount: 1, state: { waiting: {} } },
      ],
    });
    expect(isFirstRunning(restarting, running)).toBe(false);
  });

  it('is false for a change to a pod already running, and for one that is not running yet', () => {
    expect(isFirstRunning(running, running)).toBe(false);
    expect(isFirstRunning(creating, creating)).toBe(false);
  });
});

describe('latencySinceCreation', () => {
  it('records nothing for a pod without a creation time', () => {
    const metrics = recordingMetrics();
    latencySinceCreation(metrics.port, 'StartupLatency', running, '2026-03-01T12:00:00Z');
    expect(metrics.samples('StartupLatency')).toEqual([]);
  });

  it('never records a negative latency when clocks disagree', () => {
    const metrics = recordingMetrics();
    const pod: Pod = { metadata: { creationTimestamp: '2026-03-01T12:00:01Z' } };
    latencySinceCreation(metrics.port, 'SchedulingLatency', pod, '2026-03-01T12:00:00Z');
    expect(metrics.samples('SchedulingLatency')).toEqual([0]);
  });
});
