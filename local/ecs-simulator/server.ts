import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { AwsJsonError, serializationException, unknownOperation } from './errors';

/** Operations per `X-Amz-Target` prefix: the service name and API version the SDK sends. */
export type ServiceTargets<S> = Readonly<
  Record<string, Readonly<Record<string, (state: S, request: Record<string, unknown>) => object>>>
>;

/**
 * Runs around every operation (the fault mode's throttles, errors and lost stops, local/faults/):
 * it may answer instead of `run`, throw an AwsJsonError, or act on what `run` returned.
 */
export type OperationHook<S> = (
  call: {
    readonly state: S;
    readonly operation: string;
    readonly request: Record<string, unknown>;
    readonly headers: IncomingHttpHeaders;
  },
  run: () => object,
) => object;

/**
 * What a server's state may do around each request: before it, the simulator sweeps expired
 * tasks; after it and before the response, a state kept in a data directory writes what the
 * request changed, so no client hears of a change a restart would lose.
 */
type ServerState = object & { sweepExpired?(): void; settle?(): void };

/** RegisterTaskDefinition carries pod annotations as docker labels; leave ample room. */
const maxBodyBytes = 16 * 1024 * 1024;

/**
 * The AWS JSON protocol (1.0 and 1.1): POST with `X-Amz-Target: <Service>.<Operation>` and a
 * JSON body; 200 with a JSON body, or 4xx/5xx with `{"__type", "message"}`. Signatures are not
 * checked. ECS, CloudWatch Logs and SQS all speak it.
 */
export function createAwsJsonServer<S extends ServerState>(
  state: S,
  targets: ServiceTargets<S>,
  hook?: OperationHook<S>,
): Server {
  return createServer((request, response) => {
    readBody(request)
      .then((body) => {
        state.sweepExpired?.();
        const target = String(request.headers['x-amz-target'] ?? '');
        const result = hook
          ? hook(
              {
                state,
                operation: target.slice(target.lastIndexOf('.') + 1),
                request: body.trim() === '' ? {} : safeParse(body),
                headers: request.headers,
              },
              () => dispatch(state, targets, target, body),
            )
          : dispatch(state, targets, target, body);
        state.settle?.();
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

/** The request for the hook to look at; what it cannot parse, dispatch refuses as it always did. */
function safeParse(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
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
