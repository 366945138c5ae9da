// One bundled function, as the Lambda Node.js runtime runs it: the module `cdk synth` wrote,
// loaded once, with the environment its template gives it (this thread's own process.env), and
// invoked one event at a time on messages from the local control plane. Plain JavaScript: a
// worker thread runs without the TypeScript loader the control plane runs with, like Lambda.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { installResponseStreaming, isStreamingHandler } from '../response-streaming.mjs';

const { bundleDir, handler: handlerName, functionName, memoryMiB } = workerData;
const [moduleName = 'index', exportName = 'handler'] = String(handlerName).split('.');
// The runtime looks for the handler's module as .mjs, .js or .cjs, in that order.
const file = ['.mjs', '.js', '.cjs']
  .map((extension) => join(bundleDir, `${moduleName}${extension}`))
  .find((candidate) => existsSync(candidate));
if (!file) throw new Error(`no module ${moduleName} in ${bundleDir}`);
// As the runtime does before it loads the module: `awslambda.streamifyResponse` is a global.
installResponseStreaming();
const loaded = await import(pathToFileURL(file).href);
const handler = loaded[exportName];
if (typeof handler !== 'function') throw new Error(`${file} exports no function ${exportName}`);

/** Response streams of streaming invocations under way, by invocation id, for aborts. */
const responseStreams = new Map();

parentPort?.on('message', async (invocation) => {
  if (invocation.abort !== undefined) {
    responseStreams.get(invocation.abort)?.destroy();
    return;
  }
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMiB),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    if (isStreamingHandler(handler)) {
      // Each chunk the handler writes goes to the control plane as it is written.
      const responseStream = new Writable({
        write(chunk, _encoding, callback) {
          parentPort?.postMessage({ id: invocation.id, chunk: new Uint8Array(chunk) });
          callback();
        },
      });
      responseStreams.set(invocation.id, responseStream);
      try {
        await handler(invocation.event, responseStream, context);
      } finally {
        responseStreams.delete(invocation.id);
      }
      parentPort?.postMessage({ id: invocation.id, result: null });
      return;
    }
    const result = await handler(invocation.event, context);
    parentPort?.postMessage({ id: invocation.id, result });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    parentPort?.postMessage({
      id: invocation.id,
      error: { name: failure.name, message: failure.message, stack: failure.stack },
    });
  }
});
parentPort?.postMessage('ready');
