import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { metricsNamespace, metricsService, type PodMetrics, podMetricNames } from '../core/metrics';

/**
 * A Powertools Metrics buffer with podplane's namespace and service. The service is set here,
 * not read from POWERTOOLS_SERVICE_NAME, which names each function for its logs.
 */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: metricsNamespace, serviceName: metricsService });
}

let shared: Metrics | undefined;

/**
 * The buffer the handlers share, created on first use: Metrics reads POWERTOOLS_METRICS_DISABLED
 * when it is built, and the local control plane sets that before the first invocation, not
 * before every import.
 */
export function metrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}

/** The core's metrics port written as CloudWatch embedded metric format (EMF) log lines. */
export function powertoolsPodMetrics(buffer: () => Metrics = metrics): PodMetrics {
  return {
    count: (name, n = 1) => buffer().addMetric(name, MetricUnit[podMetricNames[name]], n),
    latency: (name, ms) => buffer().addMetric(name, MetricUnit[podMetricNames[name]], ms),
  };
}

/**
 * Publishes what an invocation recorded, once it returns or throws. Powertools' logMetrics does
 * the same but warns "No application metrics to publish" on every invocation that recorded none
 * (most API reads, every authorizer call), even with metrics disabled; this one publishes only
 * when there is something to publish.
 */
export function publishMetrics(buffer: () => Metrics = metrics): MiddlewareObj {
  const publish = async () => {
    if (buffer().hasStoredMetrics()) buffer().publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
