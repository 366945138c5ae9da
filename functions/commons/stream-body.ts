import { Readable } from 'node:stream';
import type { ApiResponse } from '../core/api/http';

/**
 * A response's body as a Node stream for Lambda response streaming: `body` first, then what its
 * `stream` writes, each chunk sent as soon as it is written. When the stream is torn down (the
 * client left and the runtime's pipeline failed) the core's signal aborts, so a watch stops
 * polling for nobody. A write waits while the client reads slower than the watch produces.
 */
export function streamBody(response: ApiResponse): Readable {
  const controller = new AbortController();
  let resume: (() => void) | undefined;
  const wake = () => {
    const waiting = resume;
    resume = undefined;
    waiting?.();
  };
  const readable = new Readable({
    read: wake,
    destroy(error, callback) {
      controller.abort();
      wake();
      callback(error);
    },
  });
  if (response.body) readable.push(response.body);
  const write = (chunk: string) =>
    new Promise<void>((resolve) => {
      if (readable.destroyed || readable.push(chunk)) resolve();
      else resume = resolve;
    });
  const stream = response.stream;
  if (!stream) readable.push(null);
  else
    stream(write, controller.signal).then(
      () => {
        if (!readable.destroyed) readable.push(null);
      },
      (error: unknown) => readable.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  return readable;
}
