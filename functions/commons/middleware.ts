import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { publishMetrics } from './metrics';
import { logger } from './powertools';
import { tracer } from './tracer';

/** What every handler wears: a trace segment, the Lambda context on its logs, its metrics published. */
export function observability(): MiddlewareObj[] {
  return [
    // Responses stay out of traces: API bodies reach hundreds of KB, beyond X-Ray's segment size.
    captureLambdaHandler(tracer(), { captureResponse: false }),
    injectLambdaContext(logger),
    publishMetrics(),
  ];
}
