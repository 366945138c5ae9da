import { invalidParameter } from './errors';

/**
 * List operations page with an opaque `nextToken`; here it encodes the offset into a listing
 * whose order is stable (creation order), which is enough for one process.
 */
export function paginate<T>(
  items: readonly T[],
  request: { nextToken?: string | undefined; maxResults?: number | undefined },
  limit = 100,
): { page: T[]; nextToken?: string } {
  const maxResults = request.maxResults ?? limit;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > limit) {
    throw invalidParameter(`maxResults must be between 1 and ${limit}.`);
  }
  const start = request.nextToken ? decodeOffset(request.nextToken) : 0;
  const page = items.slice(start, start + maxResults);
  const end = start + page.length;
  return end < items.length ? { page, nextToken: encodeOffset(end) } : { page };
}

function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function decodeOffset(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through: not one of ours
  }
  throw invalidParameter('Invalid nextToken.');
}
