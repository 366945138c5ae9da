import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsJsonError, serializationException, unknownOperation } from './errors';

/** Operations per `X-Amz-Target` prefix: the service name and API version the SDK sends. */
export type ServiceTargets<S> = Readonly<
  Record<string, Readonly<Record<string, (state: S, request: Record<string, unknown>) => object>>>
>;

/** What a server's state may do before each request (the simulator sweeps expired tasks). */
type ServerState = object & { sweepExpired?(): void };

/** RegisterTaskDefinition carries pod annotations as docker labels; leave ample room. */
const maxBodyBytes = 16 * 1024 * 1024;

/**
 * The AWS JSON protocol (1.0 and 1.1): POST with `X-Amz-Target: <Service>.<Operation>` and a
 * JSON body; 200 with a JSON body, or 4xx/5xx with `{"__type", "message"}`. Signatures are not
 * checked. ECS, CloudWatch Logs and SQS all speak it.
 */
export function createAwsJsonServer<S extends ServerState>(state: S, targets: ServiceTargets<S>): Server {
  return createServer((request, response) => {
    readBody(request)
      .then((body) => {
        state.sweepExpired?.();
        const result = dispatch(state, targets, String(request.headers['x-amz-target'] ?? ''), body);
        send(response, 200, result);
      })
      .catch((error: unknown) => sendError(response, error));
  });
}

function dispatch<S>(state: S, targets: ServiceTargets<S>, target: string, body: string): object {
  const separator = target.lastIndexOf('.');
  const run = targets[target.slice(0, separator)]?.[target.slice(separator + 1)];
  if (separator < 0 || !run) throw unknownOperation(target);
  return run(state, parseRequest(body));
}

function parseRequest(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw serializationException('Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serializationException('Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(serializationException('Request body is too large.'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, statusCode: number, body: object, errorType?: string): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, error: unknown): void {
  if (error instanceof AwsJsonError) {
    send(response, error.statusCode, { __type: error.type, message: error.message }, error.type);
    return;
  }
  // A bug in the simulator, not the caller's fault: say so the way ECS does, and log it.
  console.error('[ecs-simulator] internal error:', error);
  send(
    response,
    500,
    { __type: 'ServerException', message: 'Internal error in the ECS simulator.' },
    'ServerException',
  );
}
