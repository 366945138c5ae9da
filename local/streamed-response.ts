import { PassThrough, type Readable } from 'node:stream';
import { preludeDelimiter } from './response-streaming.mjs';

export interface StreamedHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** The body as the function writes it, chunk by chunk. */
  readonly body: Readable;
}

/**
 * Reads a streaming function's output as API Gateway does: the JSON prelude up to the eight NUL
 * bytes (status and headers), then the body, passed on as it arrives. Rejects if the function's
 * stream ends or fails before the prelude is complete (API Gateway answers that with a 502).
 */
export function readStreamedResponse(output: Readable): Promise<StreamedHttpResponse> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const body = new PassThrough();
    let started = false;
    const onData = (chunk: Buffer) => {
      if (started) {
        if (!body.write(chunk)) output.pause();
        return;
      }
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf(preludeDelimiter);
      if (at === -1) return;
      started = true;
      let prelude: { statusCode?: number; headers?: Record<string, string> };
      try {
        prelude = JSON.parse(head.subarray(0, at).toString('utf8'));
      } catch (error) {
        output.destroy();
        return reject(error);
      }
      const rest = head.subarray(at + preludeDelimiter.length);
      if (rest.length > 0) body.write(rest);
      resolve({ statusCode: prelude.statusCode ?? 200, headers: prelude.headers ?? {}, body });
    };
    body.on('drain', () => output.resume());
    // The client left: tear the function's stream down, as the runtime does to the invocation.
    body.on('close', () => output.destroy());
    output.on('data', onData);
    output.once('end', () =>
      started ? body.end() : reject(new Error('the function ended before its prelude')),
    );
    output.once('error', (error) => (started ? body.destroy(error) : reject(error)));
  });
}
