import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { bufferedBody } from '../../functions/commons/buffered-body';
import { streamBody } from '../../functions/commons/stream-body';
import { type ApiResponse, streamed } from '../../functions/core/api/http';
import { pause } from '../../functions/core/api/pause';
import type { FunctionDefinition } from '../../functions/wiring';
import { invokeStreamingLocal, type StreamingLambdaHandler } from '../../local/lambda';
import { installResponseStreaming } from '../../local/response-streaming.mjs';
import { readStreamedResponse } from '../../local/streamed-response';

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A stream that writes `tick n` every `everyMs` until aborted, noting how it ended. */
function ticking(everyMs: number, limit = Number.POSITIVE_INFINITY) {
  const state = { ticks: 0, aborted: false };
  const response = streamed(200, 'text/plain', async (write, signal) => {
    while (state.ticks < limit) {
      if (!(await pause(realSleep, everyMs, signal))) {
        state.aborted = true;
        return;
      }
      state.ticks++;
      await write(`tick ${state.ticks}\n`);
    }
  });
  return { response, state };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('streamBody (the watch function over response streaming)', () => {
  it('sends the body, then each chunk as it is written, and ends with the stream', async () => {
    const { response } = ticking(5, 3);
    expect(await readAll(streamBody({ ...response, body: 'head\n' }))).toBe('head\ntick 1\ntick 2\ntick 3\n');
  });

  it('aborts the stream when the body is torn down (the client left)', async () => {
    const { response, state } = ticking(20);
    const body = streamBody(response);
    body.once('data', () => body.destroy());
    await new Promise((resolve) => body.once('close', resolve));
    await realSleep(60);
    expect(state.aborted).toBe(true);
    expect(state.ticks).toBe(1);
  });
});

describe('bufferedBody (the apiserver behind a buffered integration)', () => {
  it('answers what was written once the stream has been quiet a moment', async () => {
    const response: ApiResponse = streamed(200, 'application/json', async (write, signal) => {
      await write('a\n');
      await write('b\n');
      await pause(realSleep, 10_000, signal);
    });
    const started = Date.now();
    const answered = await bufferedBody(response, 5000);
    expect(answered.body).toBe('a\nb\n');
    expect(answered.stream).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('holds a stream that writes nothing only as long as its hold', async () => {
    const { response, state } = ticking(10_000);
    const started = Date.now();
    expect((await bufferedBody(response, 200)).body).toBe('');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(state.aborted).toBe(true);
  });
});

describe('local response streaming (what the Lambda runtime and API Gateway do)', () => {
  installResponseStreaming();
  const definition: FunctionDefinition = {
    entry: 'none',
    memoryMiB: 128,
    timeoutSeconds: 30,
    trigger: { kind: 'http-stream', methods: ['GET'] },
  };

  it('passes status and headers from the prelude and the body as middy writes it', async () => {
    const { response } = ticking(5, 2);
    const handler = middy(
      async () => ({ statusCode: 201, headers: { 'x-kind': 'watch' }, body: streamBody(response) }),
      { streamifyResponse: true },
    ) as unknown as StreamingLambdaHandler;
    const out = await readStreamedResponse(invokeStreamingLocal('t', definition, handler, {}));
    expect(out.statusCode).toBe(201);
    expect(out.headers).toEqual({ 'x-kind': 'watch' });
    expect(await readAll(out.body)).toBe('tick 1\ntick 2\n');
  });

  it('tears the handler down when the client leaves', async () => {
    const { response, state } = ticking(20);
    const handler = middy(async () => ({ statusCode: 200, headers: {}, body: streamBody(response) }), {
      streamifyResponse: true,
    }) as unknown as StreamingLambdaHandler;
    const out = await readStreamedResponse(invokeStreamingLocal('t', definition, handler, {}));
    await new Promise((resolve) => out.body.once('data', resolve));
    out.body.destroy();
    await realSleep(100);
    expect(state.aborted).toBe(true);
  });

  it('refuses a function that ends before its prelude, as API Gateway answers 502', async () => {
    const handler: StreamingLambdaHandler = async (_event, stream) => {
      stream.end('no prelude');
    };
    await expect(readStreamedResponse(invokeStreamingLocal('t', definition, handler, {}))).rejects.toThrow();
  });
});
