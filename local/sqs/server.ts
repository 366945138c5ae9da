import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { AwsJsonError, invalidParameter } from '../ecs-simulator/errors';
import { createAwsJsonServer } from '../ecs-simulator/server';
import type { LocalQueue } from './queue';

/** SQS's own limit on a message's delay. */
const maxDelaySeconds = 900;

const queueDoesNotExist = () => new AwsJsonError('QueueDoesNotExist', 'The specified queue does not exist.');

interface SqsState {
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** Writes what a request changed (with a data directory) before its response. */
  settle?(): void;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

function queueOf(state: SqsState, request: Record<string, unknown>): LocalQueue {
  const url = String(request.QueueUrl ?? '');
  const queue = [...state.queues.values()].find((q) => q.options.url === url);
  if (!queue) throw queueDoesNotExist();
  return queue;
}

/**
 * The SQS operations podplane's adapters and the local event source use, in SQS's JSON protocol
 * (`X-Amz-Target: AmazonSQS.<Operation>`), so `@aws-sdk/client-sqs` talks to it unchanged. The
 * SDK checks MD5OfMessageBody, so it is the real digest.
 */
export function createSqsServer(queues: ReadonlyMap<string, LocalQueue>, settle?: () => void): Server {
  return createAwsJsonServer<SqsState>(
    { queues, ...(settle ? { settle } : {}) },
    {
      AmazonSQS: {
        GetQueueUrl: (state, request) => {
          const queue = state.queues.get(String(request.QueueName ?? ''));
          if (!queue) throw queueDoesNotExist();
          return { QueueUrl: queue.options.url };
        },
        SendMessage: (state, request) => {
          const queue = queueOf(state, request);
          const body = request.MessageBody;
          if (typeof body !== 'string' || body === '') throw invalidParameter('MessageBody is required.');
          const delay = Number(request.DelaySeconds ?? 0);
          if (!Number.isInteger(delay) || delay < 0 || delay > maxDelaySeconds)
            throw invalidParameter(`DelaySeconds must be an integer from 0 to ${maxDelaySeconds}.`);
          const message = queue.send(body, delay);
          return { MessageId: message.messageId, MD5OfMessageBody: md5(body) };
        },
        ReceiveMessage: (state, request) => ({
          Messages: queueOf(state, request)
            .receive(Number(request.MaxNumberOfMessages ?? 1))
            .map((m) => ({
              MessageId: m.messageId,
              ReceiptHandle: m.receiptHandle,
              MD5OfBody: md5(m.body),
              Body: m.body,
            })),
        }),
        DeleteMessage: (state, request) => {
          queueOf(state, request).delete(String(request.ReceiptHandle ?? ''));
          return {};
        },
      },
    },
  );
}
