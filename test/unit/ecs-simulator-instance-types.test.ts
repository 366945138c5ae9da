import { describe, expect, it } from 'vitest';
import { awsvpcTaskLimit, instanceNetworkLimits } from '../../functions/core/nodes/pod-capacity';
import { instanceTypeFor } from '../../local/ecs-simulator/container-instances';
import { resolveOptions } from '../../local/ecs-simulator/options';

// The simulated instances carry real EC2 instance types, so their ENI limits (and the node labels
// podplane derives from them) are the published ones.

const vcpuSizes = [2, 4, 8, 16, 32, 48, 64, 96];

describe('instanceTypeFor', () => {
  it.each([
    [4, 8192, 'c5.xlarge'],
    [2, 4096, 'c5.large'],
    [4, 16384, 'm5.xlarge'],
    [8, 65536, 'r5.2xlarge'],
    [96, 196608, 'c5.24xlarge'],
  ])('names %d vCPUs and %d MiB %s', (vcpus, mib, type) => {
    expect(instanceTypeFor(vcpus, mib)).toBe(type);
  });

  it('names c6i for the compute-optimized shapes c5 does not have (8xlarge, 16xlarge)', () => {
    expect(instanceTypeFor(32, 65536)).toBe('c6i.8xlarge');
    expect(instanceTypeFor(64, 131072)).toBe('c6i.16xlarge');
  });

  it.each([2, 4, 8])(
    'names only instance types EC2 publishes network limits for, at %d GiB per vCPU',
    (gib) => {
      for (const vcpus of vcpuSizes) {
        const type = instanceTypeFor(vcpus, vcpus * gib * 1024);
        expect(instanceNetworkLimits(type), type).toBeDefined();
        expect(awsvpcTaskLimit(type, false), type).toBeGreaterThan(0);
        expect(awsvpcTaskLimit(type, true), type).toBeGreaterThan(0);
      }
    },
  );

  it('gives any other shape a made-up name that carries no ENI limit', () => {
    const type = instanceTypeFor(3, 3072);
    expect(type).toBe('sim.3vcpu-3072mib');
    expect(awsvpcTaskLimit(type, true)).toBeUndefined();
  });
});

describe('awsvpcTrunking', () => {
  it('is on unless turned off', () => {
    const base = { clusterName: 'c', nodes: 1, nodeCpu: 1, nodeMemoryMiB: 1024 };
    expect(resolveOptions(base).awsvpcTrunking).toBe(true);
    expect(resolveOptions({ ...base, awsvpcTrunking: false }).awsvpcTrunking).toBe(false);
  });
});
