import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiDeps } from '../commons/api-deps';
import { apiRequestOf } from '../commons/api-request';
import { bufferedBody } from '../commons/buffered-body';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { logger } from '../commons/powertools';
import { podWrittenBy } from '../core/api/pod-writes';
import { handleApiRequest } from '../core/api/server';

// Behind a buffered integration a watch or a log follow is a long poll (the GETs reach this
// function only where response streaming is off, e.g. on LocalStack).
const serve = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  bufferedBody(await handleApiRequest(apiRequestOf(event), apiDeps));

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
