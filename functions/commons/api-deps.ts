import { podNetworking } from '../adapters/config';
import { cloudWatchPodLogs } from '../adapters/logs/cloudwatch';
import type { ServerDeps } from '../core/api/server';
import { powertoolsPodMetrics } from './metrics';
import { podStoreNotingLogKeys } from './pod-store-log-keys';
import { logger } from './powertools';
import { stores } from './stores';

/** What the apiserver core needs, wired to the production adapters (apiserver and watch alike). */
export const apiDeps: ServerDeps = {
  ...stores,
  pods: podStoreNotingLogKeys(stores.pods),
  logs: cloudWatchPodLogs,
  podNetworking: podNetworking(),
  metrics: powertoolsPodMetrics(),
  now: () => new Date(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  logError: (message: string, error: unknown) => logger.error(message, error as Error),
};
