/**
 * The cpu/memory pairs Fargate accepts (CPU units, MiB). A task must ask for exactly one of them,
 * so a pod's totals are rounded up to the smallest pair that holds them.
 */
const fargateSizes: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

export interface FargateSize {
  readonly cpu: number;
  readonly memory: number;
}

/** The smallest Fargate size with at least this much cpu (units) and memory (MiB); none above 16 vCPU / 120 GiB. */
export function fargateSize(cpuUnits: number, memoryMiB: number): FargateSize | undefined {
  for (const size of fargateSizes) {
    if (size.cpu < cpuUnits) continue;
    const memory = size.memory.find((m) => m >= memoryMiB);
    if (memory !== undefined) return { cpu: size.cpu, memory };
  }
  return undefined;
}
