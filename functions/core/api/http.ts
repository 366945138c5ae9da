import { ApiError } from '../errors';

/** An HTTP request as the apiserver core sees it, whoever carried it (API Gateway, local HTTPS). */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** The body's bytes, when it arrived binary (base64 through API Gateway), e.g. protobuf. */
  readonly bodyBytes?: Uint8Array;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const json = (statusCode: number, value: unknown): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

export const text = (statusCode: number, value: string): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: value,
});

export const statusResponse = (error: ApiError): ApiResponse => json(error.code, error.toStatus());

export const internalError = () =>
  statusResponse(
    new ApiError(500, 'InternalError', 'an error on the server prevented the request from succeeding'),
  );
