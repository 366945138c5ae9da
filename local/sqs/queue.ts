import { randomUUID } from 'node:crypto';

export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

/** A message as a data directory keeps it: when (real time, ms) it is next visible. */
export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  readonly receiveCount: number;
  readonly visibleAt: number;
}

/** Where a queue writes its messages down (local/sqs/index.ts, with a data directory). */
export interface MessageStore {
  put(message: StoredMessage): void;
  delete(messageId: string): void;
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
  /** Keeps every message until it is deleted; in memory only when absent. */
  readonly store?: MessageStore;
}

/**
 * One standard SQS queue in memory: per-message delays, a visibility timeout for received
 * messages, and a redrive to a dead-letter side after too many receives. Delays and timeouts
 * run on the queue's time scale. With a store, every message is written down until deleted, so
 * a restart delivers them again (`restore`).
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
    const delayMs = Math.max(0, delaySeconds) * 1000 * this.options.timeScale;
    this.store(message, Date.now() + delayMs);
    this.after(delayMs, () => this.makeVisible(message));
    return message;
  }

  /**
   * Messages a data directory kept, back in the queue: each becomes visible when it was due (a
   * delayed one at the end of its delay). One received before the restart is visible at once:
   * its receipt handle, and whoever held it, died with the process that received it.
   */
  restore(messages: readonly StoredMessage[]): void {
    const now = Date.now();
    for (const stored of [...messages].sort((a, b) => a.visibleAt - b.visibleAt)) {
      const { visibleAt, ...rest } = stored;
      const message: QueueMessage = { ...rest };
      const due = message.receiveCount > 0 ? now : visibleAt;
      this.after(due - now, () => this.makeVisible(message));
    }
  }

  /** Up to `max` visible messages, hidden for the visibility timeout unless deleted. */
  receive(max: number): QueueMessage[] {
    const batch = this.visible.splice(0, Math.max(1, max));
    const timeoutMs = this.options.visibilityTimeoutSeconds * 1000 * this.options.timeScale;
    for (const message of batch) {
      message.receiveCount += 1;
      message.receiptHandle = randomUUID();
      this.store(message, Date.now() + timeoutMs);
      const timer = setTimeout(() => {
        this.inFlight.delete(message.receiptHandle ?? '');
        this.makeVisible(message);
      }, timeoutMs);
      this.inFlight.set(message.receiptHandle, { message, timer });
    }
    return batch;
  }

  delete(receiptHandle: string): void {
    const entry = this.inFlight.get(receiptHandle);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.inFlight.delete(receiptHandle);
    this.options.store?.delete(entry.message.messageId);
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
      this.options.store?.delete(message.messageId);
      this.options.onDeadLetter(message);
      return;
    }
    this.visible.push(message);
    for (const listener of this.listeners) listener();
  }

  private store(message: QueueMessage, visibleAt: number): void {
    this.options.store?.put({
      messageId: message.messageId,
      body: message.body,
      sentAt: message.sentAt,
      receiveCount: message.receiveCount,
      visibleAt,
    });
  }

  private after(ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.delayed.delete(timer);
        run();
      },
      Math.max(0, ms),
    );
    this.delayed.add(timer);
  }
}
