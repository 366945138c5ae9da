import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Readable } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { maxRequestBytes } from '../functions/core/api/body';
import { type AuthorizerPolicy, forbiddenMessage, policyAllows } from '../functions/core/auth/tokens';
import { ApiError, unauthorized } from '../functions/core/errors';
import type { HttpTrigger } from '../functions/wiring';
import type { ServingCertificates } from './certs';
import { readStreamedResponse } from './streamed-response';

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly certificates: ServingCertificates;
  /** The TOKEN authorizer, as API Gateway calls it; a rejection means 401. */
  readonly authorize: (authorizationToken: string, methodArn: string) => Promise<AuthorizerPolicy>;
  readonly trigger: HttpTrigger;
  readonly invoke: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  /**
   * The function API Gateway invokes with response streaming for these methods (the wiring's
   * `http-stream` trigger), instead of `invoke`; its output is the runtime's response stream.
   */
  readonly streaming?: {
    readonly methods: readonly string[];
    readonly invoke: (event: APIGatewayProxyEvent) => Readable;
  };
}

/**
 * Plays API Gateway's part on one machine: TLS, the bearer-token check the authorizer does, and
 * the REST proxy event the apiserver Lambda receives.
 */
export function startGateway(options: GatewayOptions): Promise<{ server: Server; url: string }> {
  const server = createServer(
    { cert: options.certificates.cert, key: options.certificates.key },
    (req, res) => {
      serve(req, res, options).catch(() => send(res, { statusCode: 500, headers: {}, body: '' }));
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({ server, url: `https://${options.host}:${port}` });
    });
  });
}

async function serve(req: IncomingMessage, res: ServerResponse, options: GatewayOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  let policy: AuthorizerPolicy | undefined;
  if (!options.trigger.publicPaths.includes(url.pathname)) {
    // As API Gateway does: no header, no authorizer call; a rejection is 401; a policy that does
    // not cover the method ARN is 403.
    const header = req.headers.authorization;
    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/api/${req.method ?? 'GET'}${url.pathname}`;
    try {
      policy = header ? await options.authorize(header, methodArn) : undefined;
    } catch {
      policy = undefined;
    }
    if (!policy) return send(res, statusResult(unauthorized()));
    if (!policyAllows(policy, methodArn))
      return send(res, statusResult(new ApiError(403, 'Forbidden', forbiddenMessage(policy.principalId))));
  }
  const body = await readBody(req);
  if (body === undefined)
    return send(res, statusResult(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large')));
  const binary = options.trigger.binaryMediaTypes.includes(
    (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '',
  );
  const event = proxyEvent(req, url, body, binary, policy);
  const streaming = options.streaming;
  if (streaming?.methods.includes(req.method ?? 'GET') && !options.trigger.publicPaths.includes(url.pathname))
    return sendStreamed(res, streaming.invoke(event));
  send(res, await options.invoke(event));
}

/**
 * Passes a streaming function's response on as API Gateway does: status and headers from its
 * prelude, then each chunk as the function writes it (chunked transfer encoding). A client that
 * disconnects tears the function's stream down; a function that fails mid-stream cuts the body.
 */
async function sendStreamed(res: ServerResponse, output: Readable): Promise<void> {
  res.once('close', () => output.destroy());
  let response: Awaited<ReturnType<typeof readStreamedResponse>>;
  try {
    response = await readStreamedResponse(output);
  } catch {
    return send(res, { statusCode: 502, headers: { 'content-type': 'application/json' }, body: badGateway });
  }
  res.writeHead(response.statusCode, response.headers);
  // Headers go out before the first event, so a quiet watch is seen to have begun.
  res.flushHeaders();
  response.body.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) response.body.pause();
  });
  res.on('drain', () => response.body.resume());
  response.body.once('end', () => res.end());
  response.body.once('error', () => res.destroy());
}

const badGateway = JSON.stringify({ message: 'Internal server error' });

/** The body, or undefined when it is larger than the apiserver would ever accept. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes + 1024) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What the proxy event reads of a request: its method, headers and the caller's address. */
export type GatewayRequest = Pick<IncomingMessage, 'method' | 'headers'> & {
  readonly socket: { readonly remoteAddress?: string | undefined };
};

/**
 * The REST proxy event API Gateway builds for a request. Query parameters arrive decoded (`+` as
 * a space): `queryStringParameters` keeps each one's last value, `multiValueQueryStringParameters`
 * all of them in order; both are null when the request has none.
 */
export function proxyEvent(
  req: GatewayRequest,
  url: URL,
  body: Buffer,
  binary: boolean,
  policy: AuthorizerPolicy | undefined,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: { proxy: url.pathname.slice(1) },
    stageVariables: null,
    body: body.length > 0 ? body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary && body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      // As API Gateway passes a TOKEN authorizer's result on: its principalId and its context
      // keys side by side; nothing on the public paths, where no authorizer runs.
      authorizer: policy ? { principalId: policy.principalId, ...policy.context } : undefined,
      protocol: 'HTTP/1.1',
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}

function statusResult(error: ApiError): APIGatewayProxyResult {
  return {
    statusCode: error.code,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(error.toStatus()),
  };
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '');
  res.writeHead(result.statusCode, {
    ...(result.headers as Record<string, string>),
    'content-length': String(body.length),
  });
  res.end(body);
}
