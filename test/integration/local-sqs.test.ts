import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { sqsPodTimers } from '../../functions/adapters/sqs/pod-timers';
import { environmentVariables, type QueueTrigger, timerQueue } from '../../functions/wiring';
import { sleep } from '../../local/processes';
import { type LocalSqs, startLocalSqs } from '../../local/sqs';
import { QueueEventSource } from '../../local/sqs/event-source';
import type { QueueMessage } from '../../local/sqs/queue';

const trigger: QueueTrigger = {
  kind: 'sqs',
  queue: { ...timerQueue, visibilityTimeoutSeconds: 1 },
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  maxReceiveCount: 3,
};

let sqs: LocalSqs | undefined;
const deadLetters: QueueMessage[] = [];

async function start(timeScale = 0.01): Promise<LocalSqs> {
  sqs = await startLocalSqs({
    queues: [{ definition: trigger.queue, maxReceiveCount: trigger.maxReceiveCount }],
    timeScale,
    onDeadLetter: (_queue, message) => deadLetters.push(message),
  });
  return sqs;
}

afterEach(async () => {
  await sqs?.stop();
  deadLetters.length = 0;
});

const client = (endpoint: string) =>
  new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('the local SQS queue behind the timers', () => {
  it('takes SendMessage from the AWS SDK (which checks the body digest) and holds the message for its delay', async () => {
    const local = await start(0.05);
    const url = local.queue(timerQueue.id).options.url;
    const sdk = client(local.endpoint);
    const sent = await sdk.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: '{"a":1}', DelaySeconds: 4 }),
    );
    expect(sent.MessageId).toBeTruthy();
    expect((await sdk.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
    await sleep(4 * 1000 * 0.05 + 50);
    const received = await sdk.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['{"a":1}']);
    sdk.destroy();
  });

  it('refuses a delay beyond 900 s, as SQS does', async () => {
    const local = await start();
    const sdk = client(local.endpoint);
    await expect(
      sdk.send(
        new SendMessageCommand({
          QueueUrl: local.queue(timerQueue.id).options.url,
          MessageBody: 'x',
          DelaySeconds: 901,
        }),
      ),
    ).rejects.toThrow(/DelaySeconds/);
    sdk.destroy();
  });

  it('delivers to the consumer like an event source mapping: failures come back, then go to the dead letters', async () => {
    const local = await start();
    const queue = local.queue(timerQueue.id);
    const deliveries: string[] = [];
    const source = new QueueEventSource(
      queue,
      trigger,
      async (event: SQSEvent) => {
        deliveries.push(...event.Records.map((r) => r.body));
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
      () => undefined,
    );
    source.start();
    queue.send('good', 0);
    queue.send('bad', 0);
    for (let i = 0; i < 100 && deadLetters.length === 0; i++) await sleep(20);
    await source.stop();
    expect(deliveries.filter((d) => d === 'good')).toHaveLength(1);
    expect(deliveries.filter((d) => d === 'bad')).toHaveLength(trigger.maxReceiveCount);
    expect(deadLetters.map((m) => m.body)).toEqual(['bad']);
    expect(queue.depth).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('is what the timer adapter sends to', async () => {
    const local = await start();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'podplane',
      AWS_SECRET_ACCESS_KEY: 'podplane',
      AWS_ENDPOINT_URL_SQS: local.endpoint,
    });
    process.env[environmentVariables.timerQueueUrl] = local.queue(timerQueue.id).options.url;
    const timer = { kind: 'restart', namespace: 'default', name: 'web', uid: 'u', generation: 2 } as const;
    await sqsPodTimers.schedule(timer, 0);
    await sleep(20);
    const [message] = local.queue(timerQueue.id).receive(1);
    expect(JSON.parse(message?.body ?? '{}')).toEqual(timer);
  });
});
