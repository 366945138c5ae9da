import type { ApiResponse } from '../core/api/http';

/** Longest a buffered integration holds a watch or a log follow (see docs/decisions.md "Watch routing"). */
export const longPollMs = 2000;

/** How long a held response waits for more once something was written, before it answers. */
const lingerMs = 100;

/**
 * A streamed response answered whole, for an integration that cannot stream (the apiserver
 * behind a buffered REST integration, LocalStack's): a long poll. The stream runs until it ends,
 * until it has written something and then stayed quiet for a moment, or until the hold is over;
 * clients take the end of the body as the end of a watch and watch again from its last event.
 */
export async function bufferedBody(response: ApiResponse, holdMs = longPollMs): Promise<ApiResponse> {
  const stream = response.stream;
  if (!stream) return response;
  const controller = new AbortController();
  const chunks: string[] = [response.body];
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const hold = setTimeout(() => controller.abort(), holdMs);
  try {
    await stream(async (chunk) => {
      if (controller.signal.aborted) return;
      chunks.push(chunk);
      clearTimeout(quiet);
      quiet = setTimeout(() => controller.abort(), lingerMs);
    }, controller.signal);
  } finally {
    clearTimeout(hold);
    clearTimeout(quiet);
  }
  const { stream: _, ...whole } = response;
  return { ...whole, body: chunks.join('') };
}
