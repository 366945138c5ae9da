import middy from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiDeps } from '../commons/api-deps';
import { apiRequestOf } from '../commons/api-request';
import { observability } from '../commons/middleware';
import { streamBody } from '../commons/stream-body';
import { handleApiRequest } from '../core/api/server';

/**
 * Every GET of the Kubernetes API, over API Gateway's response streaming: lists and gets answer
 * at once; watches and log follows stream their events and lines as they happen, for as long as
 * the client stays (within the function's timeout). middy writes the status and headers with
 * `awslambda.HttpResponseStream.from` and pipes the body into the response stream.
 */
export const handler = middy(
  async (event: APIGatewayProxyEvent) => {
    const response = await handleApiRequest(apiRequestOf(event), apiDeps);
    return { statusCode: response.statusCode, headers: response.headers, body: streamBody(response) };
  },
  { streamifyResponse: true },
).use(observability());
