import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { cloudWatchPodLogs } from '../adapters/logs/cloudwatch';
import { logger } from '../commons/powertools';
import { stores } from '../commons/stores';
import { handleApiRequest } from '../core/api/server';

const deps = {
  ...stores,
  logs: cloudWatchPodLogs,
  now: () => new Date(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  logError: (message: string, error: unknown) => logger.error(message, error as Error),
};

/** API Gateway REST proxy event in, Kubernetes API response out. */
export const handler = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const bodyBytes = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
  const body = bodyBytes ? bodyBytes.toString('utf8') : event.body;
  const response = await handleApiRequest(
    {
      method: event.httpMethod,
      path: event.path,
      query: event.queryStringParameters ?? {},
      headers,
      ...(body ? { body } : {}),
      ...(bodyBytes ? { bodyBytes } : {}),
    },
    deps,
  );
  return response;
}).use(injectLambdaContext(logger));
