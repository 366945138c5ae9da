import type { PodLogEvent, PodLogPosition, PodLogs } from '../ports';

/** A read that finds more pages than this stops there; a follow goes on at its next poll. */
const maxPagesPerRead = 200;

/**
 * One container's log in one task, read forward with CloudWatch's tokens: each line is returned
 * once, whether it was there at the first read or written later. `since` (epoch ms) leaves out
 * the lines written before it.
 */
export class ContainerLog {
  private token: string | undefined;

  constructor(
    private readonly logs: PodLogs,
    private readonly taskArn: string,
    private readonly container: string,
    private readonly since?: number,
  ) {}

  /** The lines written so far, page by page: the last `tailLines` of them, or all. */
  async *existing(tailLines?: number): AsyncGenerator<readonly PodLogEvent[]> {
    if (tailLines === undefined) {
      yield* this.newer();
      return;
    }
    const page = await this.read({ from: 'tail', lines: tailLines });
    if (page.nextToken) this.token = page.nextToken;
    yield tailLines === 0 ? [] : page.events.slice(-tailLines);
  }

  /**
   * The lines written after everything read so far, page by page, until the token stops moving
   * (CloudWatch may answer an empty page while more lines lie ahead of its token).
   */
  async *newer(): AsyncGenerator<readonly PodLogEvent[]> {
    for (let pages = 0; pages < maxPagesPerRead; pages++) {
      const before = this.token;
      const page = await this.read(before ? { from: 'token', token: before } : { from: 'head' });
      if (page.nextToken) this.token = page.nextToken;
      if (page.events.length > 0) yield page.events;
      if (!page.nextToken || page.nextToken === before) return;
    }
  }

  private read(position: PodLogPosition) {
    return this.logs.read(this.taskArn, this.container, position, this.since);
  }
}
