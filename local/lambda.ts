import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { invocationScope } from '../functions/adapters/call-recorder';
import type { FunctionDefinition } from '../functions/wiring';

// biome-ignore lint/suspicious/noExplicitAny: handlers take different event types; the runner passes each its own.
export type LambdaHandler = (event: any, context: Context) => Promise<any>;

/**
 * Runs around each invocation: the fault mode's crashes and timeouts (local/faults/) use it. It
 * gets the call that runs the handler and returns what the runtime reports.
 */
export type InvocationHook = <T>(
  name: string,
  definition: FunctionDefinition,
  call: () => Promise<T>,
) => Promise<T>;

/** Invocations per function, as CloudWatch's Invocations metric would count them. */
export const invocationCounts = new Map<string, number>();

/** Calls a handler the way the Lambda runtime would: one event, a fresh context. */
export async function invokeLocal<T>(
  name: string,
  definition: FunctionDefinition,
  handler: LambdaHandler,
  event: unknown,
  hook?: InvocationHook,
): Promise<T> {
  invocationCounts.set(name, (invocationCounts.get(name) ?? 0) + 1);
  const context = invocationContext(name, definition);
  // The call recorder (verify:aws) names the function each AWS call is made for.
  const call = () => invocationScope.run(name, async () => (await handler(event, context)) as T);
  return hook ? hook(name, definition, call) : call();
}

/**
 * Calls a handler wrapped in `awslambda.streamifyResponse` as InvokeWithResponseStream does: it
 * gets a response stream to write to, and what it writes is readable at once. The invocation ends
 * when the handler's promise settles (the stream then ends, or fails if the handler threw), or
 * when the function's timeout passes; destroying the returned stream (the client left) tears the
 * handler's stream down.
 */
export function invokeStreamingLocal(
  name: string,
  definition: FunctionDefinition,
  handler: StreamingLambdaHandler,
  event: unknown,
): Readable {
  invocationCounts.set(name, (invocationCounts.get(name) ?? 0) + 1);
  const responseStream = new PassThrough();
  const timeout = setTimeout(
    () => responseStream.destroy(new Error(`Task timed out after ${definition.timeoutSeconds} seconds`)),
    definition.timeoutSeconds * 1000,
  );
  invocationScope
    .run(name, () => handler(event, responseStream, invocationContext(name, definition)))
    .then(
      () => {
        if (!responseStream.writableEnded) responseStream.end();
      },
      (error: unknown) => responseStream.destroy(error instanceof Error ? error : new Error(String(error))),
    )
    .finally(() => clearTimeout(timeout));
  return responseStream;
}

export type StreamingLambdaHandler = (
  // biome-ignore lint/suspicious/noExplicitAny: as LambdaHandler, with the response stream between.
  event: any,
  responseStream: PassThrough,
  context: Context,
) => Promise<unknown>;

function invocationContext(name: string, definition: FunctionDefinition): Context {
  const deadline = Date.now() + definition.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `podplane-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:podplane-${name}`,
    memoryLimitInMB: String(definition.memoryMiB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/podplane-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
