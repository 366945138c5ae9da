import { describe, expect, it } from 'vitest';
import { type GatewayRequest, proxyEvent } from '../../local/gateway';

// The local gateway builds the REST proxy event API Gateway would, so the apiserver handler reads
// the same fields on one machine as in AWS: a repeated query parameter keeps its last value in
// queryStringParameters and all of them, in order, in multiValueQueryStringParameters.

const request = (headers: GatewayRequest['headers'] = {}): GatewayRequest => ({
  method: 'POST',
  headers: { host: '127.0.0.1:8080', ...headers },
  socket: { remoteAddress: '127.0.0.1' },
});

const eventFor = (target: string) =>
  proxyEvent(request(), new URL(target, 'https://localhost'), Buffer.alloc(0), false, undefined);

describe('the local gateway builds API Gateway proxy events', () => {
  it("keeps every value of a repeated query parameter, in order, as kubectl exec's command words", () => {
    const event = eventFor(
      '/api/v1/namespaces/default/pods/web/exec?command=ls&command=-l&command=%2F&container=web&stdout=true',
    );
    expect(event.queryStringParameters).toEqual({ command: '/', container: 'web', stdout: 'true' });
    expect(event.multiValueQueryStringParameters).toEqual({
      command: ['ls', '-l', '/'],
      container: ['web'],
      stdout: ['true'],
    });
    expect(event.path).toBe('/api/v1/namespaces/default/pods/web/exec');
  });

  it('decodes values as API Gateway does: percent escapes, and + as a space', () => {
    const event = eventFor('/x?command=sh&command=-c&command=echo+%22a+b%22%2B1&empty=');
    expect(event.multiValueQueryStringParameters).toEqual({
      command: ['sh', '-c', 'echo "a b"+1'],
      empty: [''],
    });
  });

  it('gives null for both query maps when the request has no query', () => {
    const event = eventFor('/api/v1/pods');
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('passes headers by their lower-case names, each also as a list', () => {
    const event = proxyEvent(
      request({ accept: 'application/json' }),
      new URL('/api', 'https://localhost'),
      Buffer.from('{}'),
      false,
      undefined,
    );
    expect(event.headers).toMatchObject({ accept: 'application/json', host: '127.0.0.1:8080' });
    expect(event.multiValueHeaders).toMatchObject({ accept: ['application/json'] });
    expect(event.body).toBe('{}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.authorizer).toBeUndefined();
  });
});
