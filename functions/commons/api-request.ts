import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiRequest } from '../core/api/http';
import { userFromAuthorizerContext } from '../core/auth/identity';

/** A REST proxy event (buffered or streamed integration alike) as the apiserver core reads it. */
export function apiRequestOf(event: APIGatewayProxyEvent): ApiRequest {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const bodyBytes = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
  const body = bodyBytes ? bodyBytes.toString('utf8') : event.body;
  // Every value of a repeated parameter, in order (kubectl sends each word of an exec command as
  // its own `command`); queryStringParameters keeps only the last.
  const queryValues = Object.fromEntries(
    Object.entries(event.multiValueQueryStringParameters ?? {}).flatMap(([name, values]) =>
      values ? [[name, values] as const] : [],
    ),
  );
  // The caller, as the TOKEN authorizer named it (API Gateway passes its principalId and context).
  const user = userFromAuthorizerContext(event.requestContext?.authorizer);
  return {
    method: event.httpMethod,
    path: event.path,
    query: event.queryStringParameters ?? {},
    queryValues,
    headers,
    ...(body ? { body } : {}),
    ...(bodyBytes ? { bodyBytes } : {}),
    ...(user ? { user } : {}),
  };
}
