// What the Lambda Node.js runtime provides for response streaming, for handlers run here: the
// global `awslambda.streamifyResponse` (marks a handler that takes a response stream, under the
// runtime's own symbol) and `awslambda.HttpResponseStream.from` (writes the HTTP status and headers
// as a JSON prelude and eight NUL bytes before the body, the format API Gateway and function URLs
// read). Plain JavaScript: bundled handlers load it in worker threads without a TypeScript loader.

export const streamingSymbol = Symbol.for('aws.lambda.runtime.handler.streaming');
export const preludeDelimiter = new Uint8Array(8);

export function installResponseStreaming() {
  // Other libraries keep their own things on the same global (Powertools' invoke store): added
  // to, never replaced.
  globalThis.awslambda ??= {};
  globalThis.awslambda.streamifyResponse ??= (handler) => {
    handler[streamingSymbol] = 'response';
    return handler;
  };
  globalThis.awslambda.HttpResponseStream ??= {
    from(stream, metadata) {
      stream.write(JSON.stringify(metadata));
      stream.write(preludeDelimiter);
      return stream;
    },
  };
}

export const isStreamingHandler = (handler) => handler?.[streamingSymbol] === 'response';
