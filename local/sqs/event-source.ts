import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueTrigger } from '../../functions/wiring';
import type { LocalQueue } from './queue';

/** Batches in flight at once; Lambda scales SQS consumers out in the same way. */
const maxConcurrentBatches = 4;

/**
 * What Lambda's SQS event source mapping does, in process: takes batches of visible messages,
 * invokes the function with an SQS event, deletes what succeeded, and leaves failures (every
 * message if the invocation threw) to come back after the visibility timeout.
 */
export class QueueEventSource {
  private running = 0;
  private readonly pending = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly queue: LocalQueue,
    private readonly trigger: QueueTrigger,
    private readonly invoke: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>,
    private readonly onError: (error: unknown) => void,
    /**
     * True receives the batch a second time at once, in a concurrent invocation, as a standard
     * queue may (the fault mode's duplicates, local/faults/).
     */
    private readonly duplicate?: (event: SQSEvent) => boolean,
  ) {}

  start(): void {
    this.unsubscribe = this.queue.onVisible(() => this.pump());
    // Messages already visible (restored from a data directory) do not wait for the next one.
    this.pump();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.pending]);
  }

  private pump(): void {
    while (this.running < maxConcurrentBatches) {
      const messages = this.queue.receive(this.trigger.batchSize);
      if (messages.length === 0) return;
      this.running++;
      const batch = this.deliver(messages).finally(() => {
        this.running--;
        this.pending.delete(batch);
        this.pump();
      });
      this.pending.add(batch);
    }
  }

  private async deliver(messages: ReturnType<LocalQueue['receive']>): Promise<void> {
    const { arn } = this.queue.options;
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle ?? '',
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: 'podplane',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: arn.split(':')[3] ?? 'us-east-1',
      })),
    };
    if (this.duplicate?.(event)) {
      const again = this.invoke(event).then(
        () => undefined,
        () => undefined,
      );
      this.pending.add(again);
      again.finally(() => this.pending.delete(again));
    }
    let failed: Set<string>;
    try {
      const response = await this.invoke(event);
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      this.onError(error);
      failed = new Set(messages.map((m) => m.messageId));
    }
    for (const message of messages)
      if (!failed.has(message.messageId)) this.queue.delete(message.receiptHandle ?? '');
  }
}
