import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueueDefinition } from '../../functions/wiring';
import { closeServer } from '../processes';
import { LocalQueue, type QueueMessage } from './queue';
import { createSqsServer } from './server';

export interface LocalSqs {
  /** For AWS_ENDPOINT_URL_SQS. */
  readonly endpoint: string;
  queue(id: string): LocalQueue;
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  readonly queues: readonly { definition: QueueDefinition; maxReceiveCount: number }[];
  readonly timeScale?: number;
  readonly region?: string;
  readonly accountId?: string;
  readonly onDeadLetter?: (queue: string, message: QueueMessage) => void;
}

/** SQS on loopback: the queues of functions/wiring.ts behind SQS's JSON protocol. */
export async function startLocalSqs(options: LocalSqsOptions): Promise<LocalSqs> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const queues = new Map<string, LocalQueue>();
  const server: Server = createSqsServer(queues);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const { definition, maxReceiveCount } of options.queues) {
    const name = `podplane-${definition.id}`;
    queues.set(
      name,
      new LocalQueue({
        name,
        url: `${endpoint}/${accountId}/${name}`,
        arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
        visibilityTimeoutSeconds: definition.visibilityTimeoutSeconds,
        maxReceiveCount,
        timeScale: options.timeScale ?? 1,
        onDeadLetter: (message) => options.onDeadLetter?.(name, message),
      }),
    );
  }
  return {
    endpoint,
    queue: (id) => {
      const queue = queues.get(`podplane-${id}`);
      if (!queue) throw new Error(`no local queue ${id}`);
      return queue;
    },
    stop: async () => {
      for (const queue of queues.values()) queue.close();
      await closeServer(server);
    },
  };
}
