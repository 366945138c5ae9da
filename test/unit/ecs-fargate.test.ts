import { describe, expect, it } from 'vitest';
import { fargateSize } from '../../functions/core/ecs/fargate';

// AWS's table of Fargate task sizes: 256 (0.5–2 GB), 512 (1–4 GB), 1024 (2–8 GB), 2048 (4–16 GB),
// 4096 (8–30 GB) in 1 GB steps, 8192 (16–60 GB) in 4 GB steps, 16384 (32–120 GB) in 8 GB steps.
describe('rounding a pod to a Fargate size', () => {
  it.each([
    [0, 0, { cpu: 256, memory: 512 }],
    [256, 512, { cpu: 256, memory: 512 }],
    [100, 600, { cpu: 256, memory: 1024 }],
    [256, 3000, { cpu: 512, memory: 3072 }],
    [300, 100, { cpu: 512, memory: 1024 }],
    [1024, 9000, { cpu: 2048, memory: 9216 }],
    [4096, 30720, { cpu: 4096, memory: 30720 }],
    [4096, 31000, { cpu: 8192, memory: 32768 }],
    [8192, 17000, { cpu: 8192, memory: 20480 }],
    [16384, 122880, { cpu: 16384, memory: 122880 }],
  ])('cpu %i units and %i MiB run as %o', (cpu, memory, size) => {
    expect(fargateSize(cpu, memory)).toEqual(size);
  });

  it('has no size above 16 vCPU or 120 GiB', () => {
    expect(fargateSize(20000, 1024)).toBeUndefined();
    expect(fargateSize(1024, 130000)).toBeUndefined();
  });
});
