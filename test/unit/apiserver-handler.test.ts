import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { ApiRequest } from '../../functions/core/api/http';

// The apiserver Lambda hands the core every value of a repeated query parameter (kubectl sends
// each word of an exec command as its own `command`), not only the last one API Gateway keeps in
// queryStringParameters.

const seen: ApiRequest[] = [];
vi.mock('../../functions/core/api/server', () => ({
  handleApiRequest: async (request: ApiRequest) => {
    seen.push(request);
    return { statusCode: 200, headers: {}, body: '{}' };
  },
}));

const { handler } = await import('../../functions/apiserver/handler');

const event = (query: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
  ({
    httpMethod: 'POST',
    path: '/api/v1/namespaces/default/pods/web/exec',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {},
    ...query,
  }) as APIGatewayProxyEvent;

const context = { functionName: 'apiserver', awsRequestId: 'test' } as Context;

describe('apiserver handler', () => {
  it("passes multiValueQueryStringParameters on as the request's queryValues", async () => {
    seen.length = 0;
    await handler(
      event({
        queryStringParameters: { command: '/', container: 'web' },
        multiValueQueryStringParameters: { command: ['ls', '-l', '/'], container: ['web'] },
      }),
      context,
    );
    expect(seen[0]?.query).toEqual({ command: '/', container: 'web' });
    expect(seen[0]?.queryValues).toEqual({ command: ['ls', '-l', '/'], container: ['web'] });
  });

  it('passes empty query maps when the request has no query', async () => {
    seen.length = 0;
    await handler(event({}), context);
    expect(seen[0]?.query).toEqual({});
    expect(seen[0]?.queryValues).toEqual({});
  });
});
