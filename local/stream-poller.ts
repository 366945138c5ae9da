import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamTrigger } from '../functions/wiring';
import { matchesPattern, type Pattern } from './event-pattern';
import { sleep } from './processes';

interface ShardState {
  iterator: string | undefined;
  readonly parent: string | undefined;
  buffer: DynamoDBRecord[];
  attempts: number;
  retryAt: number;
  failedFrom?: string;
}

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly trigger: StreamTrigger;
  readonly invoke: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  readonly onDiscard: (records: readonly DynamoDBRecord[], reason: string) => void;
  readonly pollIntervalMs?: number;
  /**
   * Asked after a batch succeeded: true delivers the same batch again, as a shard's records may
   * come more than once (the fault mode's duplicates, local/faults/).
   */
  readonly redeliver?: (batch: readonly DynamoDBRecord[]) => boolean;
}

/**
 * What a Lambda event source mapping does for one function on one stream, on one machine:
 * read every shard through the real Streams API, drop records the filters reject, invoke with
 * batches in order, and on a partial batch failure re-deliver from the first failed record,
 * with back-off, until the retry limit sends the batch to the on-failure destination.
 */
export class StreamPoller {
  private readonly shards = new Map<string, ShardState>();
  private running = false;
  private nudged = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastDiscovery = 0;

  constructor(private readonly options: StreamPollerOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * Polls again now instead of at the next interval. Lambda polls a shard four times a second;
   * locally the runner nudges on every write, so records are picked up at once while idle
   * polling stays as cheap as Lambda's.
   */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 250;
    while (this.running) {
      try {
        if (Date.now() - this.lastDiscovery > 1000) await this.discoverShards();
        this.nudged = false;
        const busy = await this.pollOnce();
        if (!busy && !this.nudged) await this.idle(interval);
      } catch (error) {
        if (!this.running) return;
        this.options.onDiscard(
          [],
          `stream poller error: ${error instanceof Error ? error.message : String(error)}`,
        );
        await sleep(500);
      }
    }
  }

  private async discoverShards(): Promise<void> {
    this.lastDiscovery = Date.now();
    const { client, streamArn } = this.options;
    const described = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of described.StreamDescription?.Shards ?? []) {
      const id = shard.ShardId;
      if (!id || this.shards.has(id) || this.finished.has(id)) continue;
      const iterator = await client.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      this.shards.set(id, {
        iterator: iterator.ShardIterator,
        parent: shard.ParentShardId,
        buffer: [],
        attempts: 0,
        retryAt: 0,
      });
    }
  }

  private readonly finished = new Set<string>();

  /** One pass over the shards; true when it found work, so the loop polls again at once. */
  private async pollOnce(): Promise<boolean> {
    let busy = false;
    for (const [id, shard] of this.shards) {
      // Children wait for their parent to drain, which keeps per-key order across splits.
      if (shard.parent && this.shards.has(shard.parent)) continue;
      if (shard.buffer.length === 0 && shard.iterator) {
        const out = await this.options.client.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }),
        );
        shard.iterator = out.NextShardIterator;
        shard.buffer.push(...(out.Records ?? []).map((r) => this.toLambdaRecord(r)));
      }
      if (shard.buffer.length > 0 && Date.now() >= shard.retryAt) {
        busy = true;
        await this.deliver(shard);
      }
      if (!shard.iterator && shard.buffer.length === 0) {
        this.shards.delete(id);
        this.finished.add(id);
      }
    }
    return busy;
  }

  private async deliver(shard: ShardState): Promise<void> {
    const { trigger } = this.options;
    // Filtered-out records cost nothing and are never delivered, as with Lambda event filtering.
    while (shard.buffer.length > 0 && !this.matches(shard.buffer[0] as DynamoDBRecord)) shard.buffer.shift();
    const batch: DynamoDBRecord[] = [];
    for (const record of shard.buffer) {
      if (batch.length >= trigger.batchSize) break;
      if (this.matches(record)) batch.push(record);
    }
    if (batch.length === 0) {
      shard.buffer = [];
      return;
    }
    let failedFrom: string | undefined;
    try {
      const response = await this.options.invoke({ Records: batch });
      const failures = response?.batchItemFailures ?? [];
      failedFrom = failures.map((f) => f.itemIdentifier).sort(bySequenceNumber)[0];
    } catch {
      failedFrom = batch[0]?.dynamodb?.SequenceNumber;
    }
    const lastDelivered = batch.at(-1)?.dynamodb?.SequenceNumber ?? '';
    if (!failedFrom) {
      if (this.options.redeliver?.(batch)) return;
      shard.buffer = shard.buffer.filter(
        (r) => bySequenceNumber(r.dynamodb?.SequenceNumber ?? '', lastDelivered) > 0,
      );
      shard.attempts = 0;
      return;
    }
    // A failure further along the shard is a new batch: its retry count starts again.
    if (failedFrom !== shard.failedFrom) shard.attempts = 0;
    shard.failedFrom = failedFrom;
    shard.attempts++;
    const retryFrom = failedFrom;
    if (shard.attempts > trigger.retryAttempts) {
      const discarded = batch.filter(
        (r) => bySequenceNumber(r.dynamodb?.SequenceNumber ?? '', retryFrom) >= 0,
      );
      this.options.onDiscard(discarded, `retry attempts (${trigger.retryAttempts}) exhausted`);
      shard.buffer = shard.buffer.filter(
        (r) => bySequenceNumber(r.dynamodb?.SequenceNumber ?? '', lastDelivered) > 0,
      );
      shard.attempts = 0;
      return;
    }
    // Records before the first failure are done; the rest are delivered again after a back-off.
    shard.buffer = shard.buffer.filter(
      (r) => bySequenceNumber(r.dynamodb?.SequenceNumber ?? '', retryFrom) >= 0,
    );
    shard.retryAt = Date.now() + Math.min(100 * 2 ** (shard.attempts - 1), 5000);
  }

  private matches(record: DynamoDBRecord): boolean {
    return this.options.trigger.filters.some((pattern) =>
      matchesPattern(record, pattern as unknown as Pattern),
    );
  }

  private toLambdaRecord(record: _Record): DynamoDBRecord {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return {
      ...(record as unknown as DynamoDBRecord),
      eventSourceARN: this.options.streamArn,
      dynamodb: {
        ...(record.dynamodb as unknown as DynamoDBRecord['dynamodb']),
        ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      },
    };
  }
}

/** Stream sequence numbers are decimal strings of varying length: compare them as numbers. */
function bySequenceNumber(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
