import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { podNetworking } from '../adapters/config';
import { cloudWatchPodLogs } from '../adapters/logs/cloudwatch';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { podStoreNotingLogKeys } from '../commons/pod-store-log-keys';
import { logger } from '../commons/powertools';
import { stores } from '../commons/stores';
import { podWrittenBy } from '../core/api/pod-writes';
import { handleApiRequest } from '../core/api/server';
import { userFromAuthorizerContext } from '../core/auth/identity';

const deps = {
  ...stores,
  pods: podStoreNotingLogKeys(stores.pods),
  logs: cloudWatchPodLogs,
  podNetworking: podNetworking(),
  metrics: powertoolsPodMetrics(),
  now: () => new Date(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  logError: (message: string, error: unknown) => logger.error(message, error as Error),
};

async function serve(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const bodyBytes = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
  const body = bodyBytes ? bodyBytes.toString('utf8') : event.body;
  // Every value of a repeated parameter, in order (kubectl sends each word of an exec command as
  // its own `command`); queryStringParameters keeps only the last.
  const queryValues = Object.fromEntries(
    Object.entries(event.multiValueQueryStringParameters ?? {}).flatMap(([name, values]) =>
      values ? [[name, values] as const] : [],
    ),
  );
  // The caller, as the TOKEN authorizer named it (API Gateway passes its principalId and context).
  const user = userFromAuthorizerContext(event.requestContext?.authorizer);
  return handleApiRequest(
    {
      method: event.httpMethod,
      path: event.path,
      query: event.queryStringParameters ?? {},
      queryValues,
      headers,
      ...(body ? { body } : {}),
      ...(bodyBytes ? { bodyBytes } : {}),
      ...(user ? { user } : {}),
    },
    deps,
  );
}

/** API Gateway REST proxy event in, Kubernetes API response out. */
export const handler = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const pod = podWrittenBy(event.httpMethod, event.path);
  if (!pod) return serve(event);
  // A pod's creates, updates and deletes: one line each, under the pod's keys.
  return withPodLogKeys(pod, async () => {
    const response = await serve(event);
    logger.info('pod write', { method: event.httpMethod, path: event.path, statusCode: response.statusCode });
    return response;
  });
}).use(observability());
