import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics, powertoolsPodMetrics, publishMetrics } from '../../functions/commons/metrics';
import { metricsNamespace, metricsService, podMetricNames } from '../../functions/core/metrics';

// On Lambda the metrics port becomes CloudWatch embedded metric format (EMF) lines: namespace
// podplane, one `service` dimension for all functions, the core's names with their units.

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the Powertools metrics port', () => {
  it('writes counts and latencies under namespace podplane and service podplane', () => {
    // Deployed functions each have their own POWERTOOLS_SERVICE_NAME; metrics must not take it.
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'podplane-scheduler');
    const buffer = createMetrics();
    const port = powertoolsPodMetrics(() => buffer);
    port.count('PodsScheduled');
    port.count('PodsScheduled');
    port.count('PodsUnschedulable', 3);
    port.latency('SchedulingLatency', 1200);

    const emf = buffer.serializeMetrics() as unknown as Emf;
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(metricsNamespace);
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(emf.service).toBe(metricsService);
    expect(Object.fromEntries(directive?.Metrics.map((m) => [m.Name, m.Unit]) ?? [])).toEqual({
      PodsScheduled: podMetricNames.PodsScheduled,
      PodsUnschedulable: podMetricNames.PodsUnschedulable,
      SchedulingLatency: podMetricNames.SchedulingLatency,
    });
    expect([emf.PodsScheduled, emf.PodsUnschedulable, emf.SchedulingLatency]).toEqual([[1, 1], 3, 1200]);
  });

  it('gives every metric name a CloudWatch unit', () => {
    const buffer = createMetrics();
    const port = powertoolsPodMetrics(() => buffer);
    for (const [name, unit] of Object.entries(podMetricNames)) {
      if (unit === 'Count') port.count(name as Parameters<typeof port.count>[0]);
      else port.latency(name as Parameters<typeof port.latency>[0], 1);
    }
    const emf = buffer.serializeMetrics() as unknown as Emf;
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Unit)).toEqual(Object.values(podMetricNames));
  });
});

describe('publishMetrics', () => {
  const capture = () => {
    const written: string[] = [];
    const keep = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    vi.spyOn(process.stderr, 'write').mockImplementation(keep);
    return written;
  };

  it('publishes one EMF line per invocation that recorded something, and nothing otherwise', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const buffer = createMetrics();
    const port = powertoolsPodMetrics(() => buffer);
    let record = true;
    const handler = middy(async () => {
      if (record) port.count('PodsCreated');
    }).use(publishMetrics(() => buffer));
    const written = capture();
    const context = {} as Context;

    await handler(undefined, context);
    record = false;
    await handler(undefined, context);

    expect(written.length).toBe(1);
    const emf = JSON.parse(written[0] ?? '') as Emf;
    expect(emf.PodsCreated).toBe(1);
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe(metricsNamespace);
  });

  it('also publishes what an invocation recorded before it threw', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const buffer = createMetrics();
    const port = powertoolsPodMetrics(() => buffer);
    const handler = middy(async () => {
      port.count('RunTaskThrottled');
      throw new Error('throttled');
    }).use(publishMetrics(() => buffer));
    const written = capture();
    await expect(handler(undefined, {} as Context)).rejects.toThrow('throttled');
    expect((JSON.parse(written[0] ?? '') as Emf).RunTaskThrottled).toBe(1);
  });

  it('writes nothing where metrics are disabled, as in the local control plane', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const buffer = createMetrics();
    const port = powertoolsPodMetrics(() => buffer);
    const handler = middy(async () => {
      port.count('PodsCreated');
    }).use(publishMetrics(() => buffer));
    const written = capture();
    await handler(undefined, {} as Context);
    expect(written).toEqual([]);
    expect(buffer.hasStoredMetrics()).toBe(false);
  });
});
