import { randomUUID } from 'node:crypto';
import type { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type FunctionName, functionDefinitions } from '../../functions/wiring';
import type { LambdaHandler, StreamingLambdaHandler } from '../lambda';
import { type LocalResources, resolveEnvironment } from './environment';
import { synthesizeStack } from './synth';

/** A message to a function's worker (local/bundled/worker.mjs). */
interface Invocation {
  readonly id: number;
  readonly event: unknown;
  readonly deadline: number;
  readonly requestId: string;
}

type InvocationResult =
  | { readonly id: number; readonly result: unknown }
  /** A chunk a streaming handler wrote to its response stream. */
  | { readonly id: number; readonly chunk: Uint8Array }
  | { readonly id: number; readonly error: { name: string; message: string; stack?: string } };

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface BundledHandlers {
  readonly handlers: Record<FunctionName, LambdaHandler>;
  /** Each function's environment as it runs here (the template's, resolved, plus the runtime's). */
  readonly environments: Readonly<Record<FunctionName, Readonly<Record<string, string>>>>;
  stop(): Promise<void>;
}

export interface BundledOptions {
  /** Where `cdk synth` writes (the state directory's cdk.out). */
  readonly outdir: string;
  readonly local: LocalResources;
  /**
   * What the Lambda runtime adds to a function's environment (region, credentials), and what
   * only the local control plane needs (the AWS_ENDPOINT_URL_* of its stand-ins).
   */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /** Called after every invocation (the stream pollers are nudged: writes happened elsewhere). */
  readonly onInvoked?: () => void;
}

/**
 * The handlers `cdk deploy` ships, run here: the stack is synthesized as `cdk synth` does, and
 * each function's bundle runs in a worker thread of its own with the environment its template
 * gives it, so a module left out of a bundle, an ESM/CJS slip or a variable the template lacks
 * fails here as it would on Lambda.
 */
export async function loadBundledHandlers(options: BundledOptions): Promise<BundledHandlers> {
  const stack = synthesizeStack(repositoryRoot, options.outdir);
  const workers: Worker[] = [];
  const handlers: Partial<Record<FunctionName, LambdaHandler>> = {};
  const environments: Partial<Record<FunctionName, Record<string, string>>> = {};
  try {
    for (const name of Object.keys(functionDefinitions) as FunctionName[]) {
      const synthesized = stack.functions[name];
      const definition = functionDefinitions[name];
      const functionName = `podplane-${name}`;
      const environment = {
        ...resolveEnvironment(name, synthesized.environment, stack.resources, options.local),
        ...options.runtimeEnvironment,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMiB),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: synthesized.bundleDir,
      };
      environments[name] = environment;
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
        env: environment,
        // Lambda runs the bundle as it is: no TypeScript loader, no flags of the control plane's.
        execArgv: [],
        workerData: {
          bundleDir: synthesized.bundleDir,
          handler: synthesized.handler,
          functionName,
          memoryMiB: definition.memoryMiB,
        },
      });
      workers.push(worker);
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', (error) =>
          reject(new Error(`--bundled: ${name} failed to load: ${error.message}`)),
        );
      });
      handlers[name] = proxy(
        worker,
        definition.timeoutSeconds,
        definition.trigger.kind === 'http-stream',
        options.onInvoked,
      );
    }
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  return {
    handlers: handlers as Record<FunctionName, LambdaHandler>,
    environments: environments as Record<FunctionName, Record<string, string>>,
    stop: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/** A handler that invokes the function in its worker and answers with what it returned or threw. */
function proxy(
  worker: Worker,
  timeoutSeconds: number,
  streaming: boolean,
  onInvoked?: () => void,
): LambdaHandler {
  let next = 0;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; stream?: PassThrough }
  >();
  worker.on('message', (message: InvocationResult | 'ready') => {
    if (message === 'ready') return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    if ('chunk' in message) {
      waiting.stream?.write(Buffer.from(message.chunk));
      return;
    }
    pending.delete(message.id);
    onInvoked?.();
    if ('error' in message) {
      const error = new Error(message.error.message);
      error.name = message.error.name;
      if (message.error.stack) error.stack = message.error.stack;
      waiting.reject(error);
    } else waiting.resolve(message.result);
  });
  worker.on('error', (error) => {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  });
  const invoke = (
    event: unknown,
    context: { getRemainingTimeInMillis?: () => number; awsRequestId?: string },
    stream?: PassThrough,
  ) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject, ...(stream ? { stream } : {}) });
      // The client left: the function's response stream is torn down in its thread too.
      stream?.once('close', () => {
        if (pending.has(id)) worker.postMessage({ abort: id });
      });
      const invocation: Invocation = {
        id,
        event,
        deadline: Date.now() + (context?.getRemainingTimeInMillis?.() ?? timeoutSeconds * 1000),
        requestId: context?.awsRequestId ?? randomUUID(),
      };
      worker.postMessage(invocation);
    });
  if (!streaming) return (event, context) => invoke(event, context);
  const streamingHandler: StreamingLambdaHandler = (event, responseStream, context) =>
    invoke(event, context, responseStream);
  return streamingHandler as unknown as LambdaHandler;
}
