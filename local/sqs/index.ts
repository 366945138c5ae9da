import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { QueueDefinition } from '../../functions/wiring';
import { Journal } from '../journal';
import { closeServer } from '../processes';
import { LocalQueue, type QueueMessage, type StoredMessage } from './queue';
import { createSqsServer } from './server';

/** The queues' file in a data directory. */
export const sqsJournalFile = 'sqs.jsonl';

export interface LocalSqs {
  /** For AWS_ENDPOINT_URL_SQS. */
  readonly endpoint: string;
  queue(id: string): LocalQueue;
  /** With a data directory: how many messages it held at start (delivered when due). */
  readonly restoredMessages: number;
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  readonly queues: readonly { definition: QueueDefinition; maxReceiveCount: number }[];
  readonly timeScale?: number;
  readonly region?: string;
  readonly accountId?: string;
  readonly onDeadLetter?: (queue: string, message: QueueMessage) => void;
  /**
   * Keep every message here (`sqs.jsonl`) until it is deleted, delayed ones with the time they
   * are due, and deliver them again after a restart. In memory when absent.
   */
  readonly dataDir?: string;
  /** Says what the data directory's journal discarded (a torn last write) or could not write. */
  readonly log?: (line: string) => void;
}

/** SQS on loopback: the queues of functions/wiring.ts behind SQS's JSON protocol. */
export async function startLocalSqs(options: LocalSqsOptions): Promise<LocalSqs> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const queues = new Map<string, LocalQueue>();
  const journal = options.dataDir
    ? Journal.open(join(options.dataDir, sqsJournalFile), {
        format: 'podplane-sqs/1',
        ...(options.log ? { log: options.log } : {}),
      })
    : undefined;
  const server: Server = createSqsServer(queues, () => journal?.flush());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    journal?.close();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let restoredMessages = 0;
  for (const { definition, maxReceiveCount } of options.queues) {
    const name = `podplane-${definition.id}`;
    const queue = new LocalQueue({
      name,
      url: `${endpoint}/${accountId}/${name}`,
      arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
      visibilityTimeoutSeconds: definition.visibilityTimeoutSeconds,
      maxReceiveCount,
      timeScale: options.timeScale ?? 1,
      onDeadLetter: (message) => options.onDeadLetter?.(name, message),
      ...(journal
        ? {
            store: {
              put: (message) => journal.put(`${name}/${message.messageId}`, message),
              delete: (messageId) => journal.delete(`${name}/${messageId}`),
            },
          }
        : {}),
    });
    if (journal) {
      const kept = journal.entries<StoredMessage>(`${name}/`).map(([, message]) => message);
      queue.restore(kept);
      restoredMessages += kept.length;
    }
    queues.set(name, queue);
  }
  return {
    endpoint,
    queue: (id) => {
      const queue = queues.get(`podplane-${id}`);
      if (!queue) throw new Error(`no local queue ${id}`);
      return queue;
    },
    restoredMessages,
    stop: async () => {
      for (const queue of queues.values()) queue.close();
      journal?.close();
      await closeServer(server);
    },
  };
}
