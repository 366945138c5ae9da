import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
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
  const deadline = Date.now() + definition.timeoutSeconds * 1000;
  const context: Context = {
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
  const call = async () => (await handler(event, context)) as T;
  return hook ? hook(name, definition, call) : call();
}
