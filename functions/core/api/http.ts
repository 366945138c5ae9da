import type { User } from '../auth/identity';
import { ApiError } from '../errors';

/** An HTTP request as the apiserver core sees it, whoever carried it (API Gateway, local HTTPS). */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /**
   * Every value of each query parameter, in order, for the parameters a client repeats (kubectl
   * sends each word of an exec command as its own `command`); `query` keeps only the last.
   */
  readonly queryValues?: Readonly<Record<string, readonly string[]>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** The body's bytes, when it arrived binary (base64 through API Gateway), e.g. protobuf. */
  readonly bodyBytes?: Uint8Array;
  /** Who is calling, as the authorizer named it; absent on the public health paths. */
  readonly user?: User;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /**
   * A body written over time (a watch, a log follow), after `body`. It writes chunks until it is
   * done or `signal` aborts (the client left, or a buffering transport has waited long enough).
   */
  readonly stream?: ResponseStream;
}

export type ResponseStream = (write: (chunk: string) => Promise<void>, signal: AbortSignal) => Promise<void>;

/** A response whose body the transport streams to the client as `stream` writes it. */
export const streamed = (statusCode: number, contentType: string, stream: ResponseStream): ApiResponse => ({
  statusCode,
  headers: { 'content-type': contentType },
  body: '',
  stream,
});

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
