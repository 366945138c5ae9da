import { randomUUID } from 'node:crypto';

export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which a message goes to the dead-letter side instead (SQS's redrive policy). */
  readonly maxReceiveCount: number;
  /** Real seconds per queue second: 0.01 delivers a 10 s delay after 100 ms. */
  readonly timeScale: number;
  readonly onDeadLetter: (message: QueueMessage) => void;
}

/**
 * One standard SQS queue in memory: per-message delays, a visibility timeout for received
 * messages, and a redrive to a dead-letter side after too many receives. Delays and timeouts
 * run on the queue's time scale.
 */
export class LocalQueue {
  private readonly visible: QueueMessage[] = [];
  private readonly inFlight = new Map<string, { message: QueueMessage; timer: NodeJS.Timeout }>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(readonly options: LocalQueueOptions) {}

  send(body: string, delaySeconds: number): QueueMessage {
    const message: QueueMessage = { messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0 };
    this.after(delaySeconds, () => this.makeVisible(message));
    return message;
  }

  /** Up to `max` visible messages, hidden for the visibility timeout unless deleted. */
  receive(max: number): QueueMessage[] {
    const batch = this.visible.splice(0, Math.max(1, max));
    for (const message of batch) {
      message.receiveCount += 1;
      message.receiptHandle = randomUUID();
      const timer = setTimeout(
        () => {
          this.inFlight.delete(message.receiptHandle ?? '');
          this.makeVisible(message);
        },
        this.options.visibilityTimeoutSeconds * 1000 * this.options.timeScale,
      );
      this.inFlight.set(message.receiptHandle, { message, timer });
    }
    return batch;
  }

  delete(receiptHandle: string): void {
    const entry = this.inFlight.get(receiptHandle);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.inFlight.delete(receiptHandle);
  }

  /** Called whenever a message becomes visible. */
  onVisible(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get depth(): { visible: number; inFlight: number; delayed: number } {
    return { visible: this.visible.length, inFlight: this.inFlight.size, delayed: this.delayed.size };
  }

  close(): void {
    this.closed = true;
    for (const timer of this.delayed) clearTimeout(timer);
    for (const { timer } of this.inFlight.values()) clearTimeout(timer);
    this.delayed.clear();
    this.inFlight.clear();
    this.listeners.clear();
  }

  private makeVisible(message: QueueMessage): void {
    if (this.closed) return;
    if (message.receiveCount >= this.options.maxReceiveCount) {
      this.options.onDeadLetter(message);
      return;
    }
    this.visible.push(message);
    for (const listener of this.listeners) listener();
  }

  private after(seconds: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.delayed.delete(timer);
        run();
      },
      Math.max(0, seconds) * 1000 * this.options.timeScale,
    );
    this.delayed.add(timer);
  }
}
