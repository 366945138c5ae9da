import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { notePodLogKeys, withPodLogKeys } from '../../functions/commons/pod-log-keys';
import { forPodRecord } from '../../functions/commons/pod-records';
import { podStoreNotingLogKeys } from '../../functions/commons/pod-store-log-keys';
import { logger } from '../../functions/commons/powertools';
import { podWrittenBy } from '../../functions/core/api/pod-writes';
import type { Pod } from '../../functions/core/k8s';
import { fakeStores } from './fakes';

// Every line a function logs while it works on one pod names the pod (podUid, namespace,
// podName), so Logs Insights can follow it across functions; no line names a pod it is not about,
// even when a batch's records run at the same time.

let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split('\n'))
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'team-a', uid: `uid-${name}` } });
const keysOf = (line: Record<string, unknown>) => ({
  podUid: line.podUid,
  namespace: line.namespace,
  podName: line.podName,
});
const noKeys = { podUid: undefined, namespace: undefined, podName: undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withPodLogKeys', () => {
  it('puts the pod on the lines written inside, and takes it off afterwards', async () => {
    logger.info('before');
    await withPodLogKeys(pod('web'), async () => {
      logger.info('inside');
      await sleep(1);
      logger.warn('inside, after an await');
    });
    logger.info('after');
    expect(lines.map((l) => [l.message, keysOf(l)])).toEqual([
      ['before', noKeys],
      ['inside', { podUid: 'uid-web', namespace: 'team-a', podName: 'web' }],
      ['inside, after an await', { podUid: 'uid-web', namespace: 'team-a', podName: 'web' }],
      ['after', noKeys],
    ]);
  });

  it('takes the keys off when the work throws', async () => {
    await expect(
      withPodLogKeys(pod('web'), async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    logger.info('after');
    expect(keysOf(lines[0] ?? {})).toEqual(noKeys);
  });

  it('completes the keys a scope started without, and keeps those it has', async () => {
    await withPodLogKeys({ metadata: { uid: 'uid-web' } }, async () => {
      notePodLogKeys(pod('web'));
      notePodLogKeys({ metadata: { name: 'other', namespace: 'elsewhere', uid: 'uid-other' } });
      logger.info('found');
    });
    expect(keysOf(lines[0] ?? {})).toEqual({ podUid: 'uid-web', namespace: 'team-a', podName: 'web' });
  });
});

describe('forPodRecord', () => {
  const streamRecord = (p: Pod): DynamoDBRecord => ({
    eventID: p.metadata?.uid ?? '',
    dynamodb: {
      SequenceNumber: p.metadata?.uid ?? '',
      NewImage: marshall({
        pk: `pods/${p.metadata?.namespace}`,
        sk: p.metadata?.name,
        uid: p.metadata?.uid,
        rv: 1,
        body: JSON.stringify(p),
      }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    },
  });

  it('keeps each record’s keys on its own lines while a batch runs them in parallel', async () => {
    const names = ['slow', 'fast', 'failing'];
    const event: DynamoDBStreamEvent = { Records: names.map((n) => streamRecord(pod(n))) };
    const delays: Record<string, number> = { slow: 30, fast: 5, failing: 15 };
    const response = await processPartialResponse(
      event,
      forPodRecord(async ({ pod: p }) => {
        const name = p.metadata?.name ?? '';
        logger.info('started', { about: name });
        await sleep(delays[name] ?? 0);
        if (name === 'failing') throw new Error('ECS said no');
        logger.info('finished', { about: name });
      }),
      new BatchProcessor(EventType.DynamoDBStreams),
    );
    logger.info('batch done');

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'uid-failing' }]);
    const about = lines.filter((l) => l.about !== undefined || l.level === 'ERROR');
    expect(about.length).toBe(6);
    for (const line of about) {
      const name = (line.about ?? 'failing') as string;
      expect(keysOf(line)).toEqual({ podUid: `uid-${name}`, namespace: 'team-a', podName: name });
    }
    expect(lines.find((l) => l.level === 'ERROR')?.message).toBe('pod record failed');
    expect(keysOf(lines.find((l) => l.message === 'batch done') ?? {})).toEqual(noKeys);
  });
});

describe('the apiserver’s keys', () => {
  it('come from the path of a pod write, and the uid from the pod the store created', async () => {
    const scope = podWrittenBy('POST', '/api/v1/namespaces/team-a/pods');
    if (!scope) throw new Error('a pod create names a pod');
    const pods = podStoreNotingLogKeys(fakeStores().pods);
    await withPodLogKeys(scope, async () => {
      await pods.createPod(pod('web'));
      logger.info('pod write');
    });
    expect(keysOf(lines[0] ?? {})).toEqual({ podUid: 'uid-web', namespace: 'team-a', podName: 'web' });
  });

  it('name a pod only for its writes, not for reads or lists', () => {
    expect(podWrittenBy('DELETE', '/api/v1/namespaces/team-a/pods/web')).toEqual({
      metadata: { namespace: 'team-a', name: 'web' },
    });
    expect(podWrittenBy('PATCH', '/api/v1/namespaces/team-a/pods/web/status')?.metadata?.name).toBe('web');
    expect(podWrittenBy('GET', '/api/v1/namespaces/team-a/pods/web')).toBeUndefined();
    expect(podWrittenBy('GET', '/api/v1/namespaces/team-a/pods')).toBeUndefined();
    expect(podWrittenBy('POST', '/api/v1/namespaces')).toBeUndefined();
  });
});
