import type { LogItem } from '@aws-lambda-powertools/logger';
import { Logger } from '@aws-lambda-powertools/logger';
import { currentPodLogKeys } from './pod-log-keys';

/** A Powertools logger whose lines also name the pod being worked on (see withPodLogKeys). */
class PodLogger extends Logger {
  protected override createAndPopulateLogItem(
    ...args: Parameters<Logger['createAndPopulateLogItem']>
  ): LogItem {
    const item = super.createAndPopulateLogItem(...args);
    const keys = currentPodLogKeys();
    return Object.keys(keys).length > 0 ? item.addAttributes({ ...keys }) : item;
  }
}

/** One logger per function, JSON to stdout (CloudWatch Logs on Lambda), named by POWERTOOLS_SERVICE_NAME. */
export const logger: Logger = new PodLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'podplane',
});
