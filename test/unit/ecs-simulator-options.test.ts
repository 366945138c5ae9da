import { describe, expect, it } from 'vitest';
import { nodeCpuFromFlag, nodeMemoryMiBFromFlag, resolveOptions } from '../../local/ecs-simulator/options';

// `npm start -- --node-cpu C --node-memory M`: Kubernetes quantities, as a node's capacity is
// written, with plain numbers read as before (vCPUs, MiB). Anything else is refused with a
// message that says what is expected (bin/podplane.ts prints it and exits 2).

describe('--node-cpu', () => {
  it.each([
    ['4', 4],
    ['0.5', 0.5],
    ['4000m', 4],
    ['1500m', 1.5],
    ['2e0', 2],
  ])('reads %s as %d vCPUs', (text, vcpus) => {
    expect(nodeCpuFromFlag(text)).toBe(vcpus);
  });

  it('registers 1024 ECS CPU units per vCPU', () => {
    const config = resolveOptions({
      clusterName: 'c',
      nodes: 1,
      nodeCpu: nodeCpuFromFlag('1500m'),
      nodeMemoryMiB: 1,
    });
    expect(config.nodeCpuUnits).toBe(1536);
  });

  it.each(['', 'four', '4 cores', '0', '0m', '-2', '4Gx', '1e400'])('refuses %j', (text) => {
    expect(() => nodeCpuFromFlag(text)).toThrow(
      `--node-cpu must be a number of vCPUs or a CPU quantity such as 4 or 4000m, got "${text}"`,
    );
  });
});

describe('--node-memory', () => {
  it.each([
    ['8192', 8192],
    ['8Gi', 8192],
    ['8192Mi', 8192],
    ['0.5Gi', 512],
    ['8G', 7629],
    ['8e9', 7629],
    ['1Ti', 1048576],
  ])('reads %s as %d MiB', (text, mebibytes) => {
    expect(nodeMemoryMiBFromFlag(text)).toBe(mebibytes);
  });

  it.each(['', 'lots', '8 GiB', '0', '0Gi', '-8Gi', '512Ki', '8gi'])('refuses %j', (text) => {
    expect(() => nodeMemoryMiBFromFlag(text)).toThrow(
      `--node-memory must be a number of MiB or a memory quantity such as 8Gi, 8192Mi or 8G (at least 1Mi), got "${text}"`,
    );
  });
});
