import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from '../errors';
import type { ApiRequest } from './http';
import { decodeProtobufObject, protobufMediaType } from './protobuf';

/** Kubernetes' default request body limit (3 MiB); larger bodies are refused before parsing. */
export const maxRequestBytes = 3 * 1024 * 1024;

/** The request body as an object: JSON, or YAML when the client says so. */
export function parseObjectBody(request: ApiRequest): Record<string, unknown> {
  const body = request.body ?? '';
  if (Buffer.byteLength(body) > maxRequestBytes)
    throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  if (body.trim() === '') throw badRequest('the request body is empty');
  const contentType = (request.headers['content-type'] ?? 'application/json')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (contentType === protobufMediaType)
    return decodeProtobufObject(request.bodyBytes ?? Buffer.from(body, 'latin1'));
  let value: unknown;
  try {
    if (
      contentType === 'application/yaml' ||
      contentType === 'application/x-yaml' ||
      contentType === 'text/yaml'
    )
      value = parseYaml(body, { maxAliasCount: 100, logLevel: 'error' });
    else if (contentType === 'application/json' || contentType === '' || contentType === '*/*')
      value = JSON.parse(body);
    else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest(
      `the request body could not be decoded: ${error instanceof Error ? error.message.split('\n')[0] : 'invalid'}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('the request body must be a single object');
  return value as Record<string, unknown>;
}
