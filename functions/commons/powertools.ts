import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per function, JSON to stdout (CloudWatch Logs on Lambda), named by POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'podplane' });
