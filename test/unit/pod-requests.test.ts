import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../functions/core/k8s';
import { withPodDefaults } from '../../functions/core/pod/defaults';
import { podRequests } from '../../functions/core/pod/requests';

// The scheduler's effective pod request (k8s.io/component-helpers/resource PodRequests): the
// sum of the app containers, or the largest init container if that is bigger, per resource.

const Mi = 2 ** 20;
const withRequests = (name: string, cpu?: string, memory?: string): Container => ({
  name,
  image: 'x',
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});
const pod = (containers: Container[], initContainers?: Container[]): Pod => ({
  metadata: { name: 'p' },
  spec: { containers, ...(initContainers ? { initContainers } : {}) },
});

describe('podRequests', () => {
  it('sums the requests of the app containers', () => {
    expect(podRequests(pod([withRequests('a', '100m', '64Mi'), withRequests('b', '1.5', '1Gi')]))).toEqual({
      cpuMillis: 1600,
      memoryBytes: 64 * Mi + 1024 * Mi,
    });
  });

  it('counts a container without requests as zero', () => {
    expect(podRequests(pod([{ name: 'a', image: 'x' }]))).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });

  it('takes the larger of the app sum and the biggest init container, per resource', () => {
    const requests = podRequests(
      pod(
        [withRequests('a', '100m', '64Mi'), withRequests('b', '200m', '64Mi')],
        [withRequests('init-1', '500m', '32Mi'), withRequests('init-2', '50m', '100Mi')],
      ),
    );
    expect(requests).toEqual({ cpuMillis: 500, memoryBytes: 128 * Mi });
  });

  it('does not add init containers together: they run one at a time', () => {
    const requests = podRequests(
      pod([withRequests('a', '100m')], [withRequests('i1', '300m'), withRequests('i2', '300m')]),
    );
    expect(requests.cpuMillis).toBe(300);
  });

  it('counts limits as requests once defaults have copied them', () => {
    const limited = pod([{ name: 'a', image: 'x', resources: { limits: { cpu: '500m', memory: '256Mi' } } }]);
    expect(podRequests(withPodDefaults(limited))).toEqual({ cpuMillis: 500, memoryBytes: 256 * Mi });
  });

  // A restartable init container (restartPolicy: Always, a sidecar; on by default since 1.29)
  // keeps running beside the app containers, so PodRequests adds it to the sum.
  it('adds a sidecar init container (restartPolicy Always) to the app containers', () => {
    const sidecar: Container = { ...withRequests('proxy', '100m', '32Mi'), restartPolicy: 'Always' };
    expect(podRequests(pod([withRequests('a', '200m', '64Mi')], [sidecar]))).toEqual({
      cpuMillis: 300,
      memoryBytes: 96 * Mi,
    });
  });
});
