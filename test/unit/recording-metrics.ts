import type { PodCountName, PodLatencyName, PodMetrics } from '../../functions/core/metrics';

/** A PodMetrics port that keeps what the controllers report, for tests to read back. */
export function recordingMetrics() {
  const counts = new Map<PodCountName, number>();
  const latencies = new Map<PodLatencyName, number[]>();
  const port: PodMetrics = {
    count: (name, n = 1) => {
      counts.set(name, (counts.get(name) ?? 0) + n);
    },
    latency: (name, ms) => {
      latencies.set(name, [...(latencies.get(name) ?? []), ms]);
    },
  };
  return {
    port,
    /** The counts reported, by name; names never reported are absent. */
    counts: () => Object.fromEntries(counts),
    samples: (name: PodLatencyName) => latencies.get(name) ?? [],
  };
}
