import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Pod } from '../../core/k8s';
import type { PodRequests } from '../../core/pod/requests';
import type { BackOff } from '../../core/pod/restart';
import { podStage } from '../../core/pod/stage';
import {
  type BatchBindOutcome,
  type Binding,
  ConflictError,
  type PodOnNodeEntry,
  type PodRecord,
  type PodStore,
  type PodWrite,
} from '../../core/ports';
import { nextResourceVersion, watchWindowSeconds } from '../../core/resource-version';
import { schedulerNameOf } from '../../core/scheduler/scheduler-names';
import { tableName } from '../config';
import { getAll } from './batch-get';
import { changeWindow, itemsChangedSince, podFeed } from './changes';
import { dynamo, recordCapacity } from './client';
import { putNewObjectItem } from './create-item';
import {
  bodyOf,
  cancelledConditions,
  isConditionFailure,
  nodeKey,
  type ObjectItem,
  objectFromItem,
  podKey,
  podPartition,
} from './items';
import { listNamespaceNames } from './namespace-store';
import { queryAll } from './query';

const capacity = { ReturnConsumedCapacity: 'TOTAL' } as const;

export function podRecordFromItem(item: ObjectItem): PodRecord {
  const reqCpu = item.reqCpu as number | undefined;
  // A string set comes back as a Set; absent when the pod publishes no host port.
  const reqPorts = item.reqPorts instanceof Set ? [...item.reqPorts].map(String).sort() : [];
  return {
    pod: objectFromItem<Pod>(item),
    resourceVersion: item.rv,
    ...(typeof item.taskArn === 'string' ? { taskArn: item.taskArn } : {}),
    ...(typeof item.taskVersion === 'number' ? { taskVersion: item.taskVersion } : {}),
    ...(reqCpu !== undefined
      ? {
          boundRequests: {
            cpuMillis: reqCpu,
            memoryBytes: (item.reqMem as number) ?? 0,
            ...(reqPorts.length > 0 ? { hostPorts: reqPorts } : {}),
          },
        }
      : {}),
    released: item.released === true,
    ...(item.deleted === true ? { deleted: true } : {}),
    ...(typeof item.stage === 'string' ? { stage: item.stage } : {}),
    taskGeneration: typeof item.taskGeneration === 'number' ? item.taskGeneration : 0,
    ...(typeof item.restartDue === 'number' ? { restartDue: item.restartDue } : {}),
    ...(isBackOff(item.backOff) ? { backOff: item.backOff } : {}),
    ...(typeof item.previousTaskArn === 'string' ? { previousTaskArn: item.previousTaskArn } : {}),
    ...(typeof item.specGeneration === 'number' ? { specGeneration: item.specGeneration } : {}),
  };
}

function isBackOff(value: unknown): value is BackOff {
  const v = value as BackOff | undefined;
  return typeof v === 'object' && v !== null && typeof v.steps === 'number' && typeof v.kind === 'string';
}

const keyOf = (pod: Pod) => podKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');

/** SET and REMOVE clauses shared by every pod write: body, version, stage and the runtime facts. */
function podUpdate(record: PodRecord, next: Pod, write: PodWrite = {}) {
  const taskArn = write.clearTask ? write.taskArn : (write.taskArn ?? record.taskArn);
  const restartDue = write.restartDue === null ? undefined : (write.restartDue ?? record.restartDue);
  // The generation the kubelet acted on belongs to the task: forgotten with it.
  const specGeneration = write.clearTask
    ? write.specGeneration
    : (write.specGeneration ?? record.specGeneration);
  const names: Record<string, string> = {};
  const rv = nextResourceVersion(record.resourceVersion);
  const values: Record<string, unknown> = {
    ':body': bodyOf(next),
    ':rv': rv,
    ':changed': changeWindow(rv),
    ':expected': record.resourceVersion,
    ':feed': podFeed,
    ':schedulerName': schedulerNameOf(next),
    ':stage': podStage(next, {
      ...(taskArn ? { taskArn } : {}),
      ...(restartDue !== undefined ? { restartDue } : {}),
      ...(specGeneration !== undefined ? { specGeneration } : {}),
    }),
  };
  // `feed` puts the write in the change index (items written before it existed join it here).
  // `schedulerName` is what the scheduler's stream filter reads: pods for other schedulers never wake it.
  const sets = [
    'body = :body',
    'rv = :rv',
    'changed = :changed',
    'stage = :stage',
    'feed = :feed',
    'schedulerName = :schedulerName',
  ];
  // Waiting pods are listed from the `waiting` partition (see waitingChange), no longer from the
  // byWaiting index: the attribute that put a pod there goes with the pod's next write.
  const removes: string[] = ['waiting'];
  if (write.taskArn) {
    sets.push('taskArn = :taskArn');
    values[':taskArn'] = write.taskArn;
  }
  if (write.taskVersion !== undefined) {
    sets.push('taskVersion = :taskVersion');
    values[':taskVersion'] = write.taskVersion;
  } else if (write.clearTask) removes.push('taskVersion');
  if (write.clearTask && !write.taskArn) removes.push('taskArn');
  if (write.taskGeneration !== undefined) {
    sets.push('taskGeneration = :taskGeneration');
    values[':taskGeneration'] = write.taskGeneration;
  }
  if (typeof write.restartDue === 'number') {
    sets.push('restartDue = :restartDue');
    values[':restartDue'] = write.restartDue;
  } else if (write.restartDue === null) removes.push('restartDue');
  if (write.previousTaskArn) {
    sets.push('previousTaskArn = :previousTaskArn');
    values[':previousTaskArn'] = write.previousTaskArn;
  }
  if (write.backOff) {
    sets.push('backOff = :backOff');
    values[':backOff'] = write.backOff;
  }
  if (write.specGeneration !== undefined) {
    sets.push('specGeneration = :specGeneration');
    values[':specGeneration'] = write.specGeneration;
  } else if (write.clearTask) removes.push('specGeneration');
  return {
    sets,
    names,
    values,
    remove: removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '',
    stage: values[':stage'] as string,
    rv: values[':rv'] as number,
  };
}

/**
 * The waiting set: one item per Unschedulable pod in the `waiting` partition of the table, so a
 * requeue lists them with a strongly consistent query (an index cannot be read that way, and one
 * that has not caught up with a mark loses that pod's wake-up). `since` is the resourceVersion
 * of the write that made the pod wait (longest waiting first), `rv` that of its latest write.
 */
const waitingPartition = 'waiting';
const waitingKey = (pod: Pod) => ({
  pk: waitingPartition,
  sk: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`,
});

/**
 * What a pod write from `record` to `stage` (at resourceVersion `rv`) does to the waiting set.
 * Joining (and any write to a pod that stays Unschedulable) goes into the pod write's own
 * transaction: an Unschedulable pod always has its item. Leaving is a separate delete after the
 * pod write, on the condition that the item is still the one of the state left; an item left
 * over (a crash between the two) is harmless, as the pods listed are read and checked.
 */
function waitingChange(record: PodRecord, stage: string, rv: number) {
  if (stage === 'unschedulable')
    return {
      join: {
        Update: {
          TableName: tableName(),
          Key: waitingKey(record.pod),
          UpdateExpression: 'SET since = if_not_exists(since, :rv), rv = :rv',
          ExpressionAttributeValues: { ':rv': rv },
        },
      },
    } as const;
  if (record.stage === 'unschedulable') return { leave: record } as const;
  return {};
}

/** Removes a pod's waiting item if it is still the one written at `resourceVersion`. */
const leaveWaiting = (pod: Pod, resourceVersion: number) =>
  leaveWaitingItem(waitingKey(pod).sk, resourceVersion);

async function leaveWaitingItem(sk: string, resourceVersion: number): Promise<void> {
  try {
    const out = await dynamo().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: { pk: waitingPartition, sk },
        ConditionExpression: 'rv = :rv',
        ExpressionAttributeValues: { ':rv': resourceVersion },
        ...capacity,
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  } catch (error) {
    // Already gone, or the pod waits again under a newer write: either way it is not ours.
    if (!isConditionFailure(error)) throw error;
  }
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes the items in one request, a transaction when there are several: undefined when written,
 * else which items failed their condition (none when DynamoDB cancelled the transaction for a
 * concurrent one on the same items).
 */
async function writeItems(items: readonly TransactItem[]): Promise<boolean[] | undefined> {
  try {
    const [only] = items;
    if (items.length === 1 && only?.Update) {
      const out = await dynamo().send(new UpdateCommand({ ...only.Update, ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
    } else {
      const out = await dynamo().send(new TransactWriteCommand({ TransactItems: [...items], ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
    }
    return undefined;
  } catch (error) {
    if (isConditionFailure(error)) return [true];
    const failed = cancelledConditions(error);
    if (failed) return failed;
    throw error;
  }
}

/** The node item of a cancelled transaction failed its condition: the node is gone (or full). */
const nodeRefused = (failed: boolean[], index: number) => failed[index] === true;

/** The move-request cycle: a counter in an item of its own, read and bumped outside transactions. */
const moveCycleKey = { pk: 'scheduling', sk: 'moveCycle' };

export const dynamoPodStore: PodStore = {
  async getPod(namespace, name, consistent = false) {
    const out = await dynamo().send(
      new GetCommand({
        TableName: tableName(),
        Key: podKey(namespace, name),
        ConsistentRead: consistent,
        ...capacity,
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return out.Item && !out.Item.deleted ? podRecordFromItem(out.Item as ObjectItem) : undefined;
  },

  async listPods(namespace) {
    return (await queryPods(namespace))
      .filter((item) => !item.deleted)
      .map((item) => objectFromItem<Pod>(item));
  },

  async podChangesSince(namespace, resourceVersion, seen) {
    const items = await itemsChangedSince(
      podFeed,
      resourceVersion,
      namespace && podPartition(namespace),
      seen && ((pk, sk, rv) => seen(podName(pk, sk), rv)),
    );
    return items.map((item) => {
      const key = podName(item.pk, item.sk);
      return {
        key,
        written: key,
        object: objectFromItem<Pod>(item),
        resourceVersion: item.rv,
        createdResourceVersion: Number(item.createdRv ?? 0),
        deleted: item.deleted === true,
      };
    });
  },

  async findPodByUid(uid) {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'byUid',
        KeyConditionExpression: 'uid = :uid',
        ExpressionAttributeValues: { ':uid': uid },
        ...capacity,
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    const key = out.Items?.find((i) => String(i.pk).startsWith('pods/'));
    if (!key) return undefined;
    return this.getPod(String(key.pk).slice('pods/'.length), String(key.sk), true);
  },

  async createPod(pod) {
    const rv = nextResourceVersion();
    const item = {
      ...keyOf(pod),
      uid: pod.metadata?.uid,
      rv,
      changed: changeWindow(rv),
      createdRv: rv,
      feed: podFeed,
      stage: podStage(pod, {}),
      schedulerName: schedulerNameOf(pod),
      body: bodyOf(pod),
    };
    await putNewObjectItem(item);
    return objectFromItem<Pod>(item);
  },

  async updatePod(record, next, write) {
    const { sets, values, remove, stage, rv } = podUpdate(record, next, write);
    const update = {
      TableName: tableName(),
      Key: keyOf(record.pod),
      UpdateExpression: `SET ${sets.join(', ')}${remove}`,
      ConditionExpression: 'rv = :expected',
      ExpressionAttributeValues: values,
    };
    const waiting = waitingChange(record, stage, rv);
    if (waiting.join) {
      // The pod waits (the scheduler found no node): it joins the waiting set in the same write.
      try {
        const out = await dynamo().send(
          new TransactWriteCommand({ TransactItems: [{ Update: update }, waiting.join], ...capacity }),
        );
        recordCapacity('write', out.ConsumedCapacity);
      } catch (error) {
        // A cancelled transaction: the pod moved, or another transaction held it; read again.
        if (cancelledConditions(error)) throw new ConflictError();
        throw error;
      }
      const written = await this.getPod(
        record.pod.metadata?.namespace ?? 'default',
        record.pod.metadata?.name ?? '',
        true,
      );
      if (!written) throw new ConflictError();
      return written;
    }
    let written: PodRecord;
    try {
      const out = await dynamo().send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW', ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
      written = podRecordFromItem(out.Attributes as ObjectItem);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError();
      throw error;
    }
    if (waiting.leave) await leaveWaiting(record.pod, record.resourceVersion);
    return written;
  },

  async bindPod(record, bound, node, requests) {
    const [outcome] = await commitBindings([{ record, bound, node, requests }]);
    return outcome === 'cancelled' || outcome === undefined ? 'conflict' : outcome;
  },

  async bindPods(bindings) {
    const outcomes: BatchBindOutcome[] = bindings.map(() => 'cancelled');
    let failure: unknown;
    // A wave's transactions touch different nodes and run at once; a node with more pods than
    // one transaction holds continues in the next wave.
    for (const wave of bindingWaves(bindings)) {
      await Promise.all(
        wave.map(async (indices) => {
          try {
            const result = await commitBindings(indices.map((i) => bindings[i] as Binding));
            indices.forEach((i, k) => {
              outcomes[i] = result[k] ?? 'cancelled';
            });
          } catch (error) {
            failure ??= error;
          }
        }),
      );
    }
    if (failure) throw failure;
    return outcomes;
  },

  async unbindPod(record, next, write) {
    const { sets, values, remove, stage, rv } = podUpdate(record, next, write);
    // What binding added goes with it; `remove` is podUpdate's own " REMOVE a, b" clause, or "".
    const removed = [
      'nodeName',
      'reqCpu',
      'reqMem',
      'reqPorts',
      'released',
      ...remove.split(/ REMOVE |, /).filter(Boolean),
    ];
    const update = {
      TableName: tableName(),
      Key: keyOf(record.pod),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removed.join(', ')}`,
      ConditionExpression: 'rv = :expected AND nodeName = :node',
      ExpressionAttributeValues: { ...values, ':node': record.pod.spec?.nodeName ?? '' },
    };
    // Unbound and Unschedulable, the pod joins the waiting set in the same transaction.
    const { join } = waitingChange(record, stage, rv);
    const release = releaseFrom(record);
    const failed = await writeItems([
      { Update: update },
      ...(release ? [release] : []),
      ...(join ? [join] : []),
    ]);
    if (failed) {
      if (failed[0] || !release || !nodeRefused(failed, 1)) throw new ConflictError();
      // The node is gone, and with it what the pod held there: only the pod is left to write.
      if (await writeItems([{ Update: update }, ...(join ? [join] : [])])) throw new ConflictError();
    }
    return (
      (await this.getPod(record.pod.metadata?.namespace ?? '', record.pod.metadata?.name ?? '', true)) ??
      record
    );
  },

  async finishPod(record, next, write) {
    const release = releaseFrom(record);
    if (!release) return this.updatePod(record, next, write);
    const { sets, values, remove } = podUpdate(record, next, write);
    try {
      const out = await dynamo().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: keyOf(record.pod),
                UpdateExpression: `SET ${[...sets, 'released = :released'].join(', ')}${remove}`,
                ConditionExpression: 'rv = :expected',
                ExpressionAttributeValues: { ...values, ':released': true },
              },
            },
            release,
          ],
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      const failed = cancelledConditions(error);
      if (!failed) throw error;
      // The pod moved, or a concurrent transaction held the pod or the node: read again.
      if (failed[0] || !nodeRefused(failed, 1)) throw new ConflictError();
      // The node is gone: there is nothing to give back, only the pod to record.
      return this.updatePod(record, next, write);
    }
    return (
      (await this.getPod(record.pod.metadata?.namespace ?? '', record.pod.metadata?.name ?? '', true)) ??
      record
    );
  },

  async listPodsOnNode(nodeName) {
    // The index holds keys only, so that a pod's stage and task changes never rewrite it (each
    // rewrite would be a write unit); the pods themselves are read, 100 per request.
    const keys = (await queryAll(nodeName, { name: 'byNode', key: 'nodeName' })).filter((item) =>
      String(item.pk).startsWith('pods/'),
    );
    const items = await getAll(keys, { consistent: true });
    return items.map((item): PodOnNodeEntry => {
      const record = podRecordFromItem(item);
      return {
        namespace: String(item.pk).slice('pods/'.length),
        name: String(item.sk),
        // A tombstone still names its task, so reconcile counts that task as known.
        ...(typeof item.stage === 'string' ? { stage: item.stage } : {}),
        ...(typeof item.taskArn === 'string' ? { taskArn: item.taskArn } : {}),
        ...(item.deleted ? {} : { record }),
      };
    });
  },

  async listUnschedulable(limit) {
    const waiting = (await queryAll(waitingPartition, undefined, { consistent: true })).sort(
      (a, b) => Number(a.since) - Number(b.since),
    );
    const listed: PodRecord[] = [];
    // Longest waiting first; an item whose pod no longer waits (left over) is removed on the way.
    for (let next = 0; next < waiting.length && listed.length < limit; ) {
      const items = waiting.slice(next, next + limit - listed.length);
      next += items.length;
      const records = await Promise.all(
        items.map((item) => {
          const sk = String(item.sk);
          const slash = sk.indexOf('/');
          return this.getPod(sk.slice(0, slash), sk.slice(slash + 1), true);
        }),
      );
      for (const record of records) if (record?.stage === 'unschedulable') listed.push(record);
      await Promise.all(
        items
          .filter((_, k) => records[k]?.stage !== 'unschedulable')
          .map((item) => leaveWaitingItem(String(item.sk), Number(item.rv))),
      );
    }
    return listed;
  },

  async requeuePod(record) {
    try {
      const out = await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keyOf(record.pod),
          UpdateExpression: 'SET stage = :schedule, rv = :rv REMOVE waiting',
          ConditionExpression: 'rv = :expected',
          ExpressionAttributeValues: {
            ':schedule': 'schedule',
            ':rv': nextResourceVersion(record.resourceVersion),
            ':expected': record.resourceVersion,
          },
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError();
      throw error;
    }
    if (record.stage === 'unschedulable') await leaveWaiting(record.pod, record.resourceVersion);
  },

  async moveCycle() {
    const out = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: moveCycleKey, ConsistentRead: true, ...capacity }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return Number(out.Item?.cycle ?? 0);
  },

  async requestMove() {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: moveCycleKey,
        UpdateExpression: 'ADD #cycle :one',
        ExpressionAttributeNames: { '#cycle': 'cycle' },
        ExpressionAttributeValues: { ':one': 1 },
        ...capacity,
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },

  async claimProbeTick(uid, generation, tick) {
    try {
      const out = await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          // A small item of its own: a tick costs one write unit, not a rewrite of the pod.
          Item: {
            pk: `probes/${uid}`,
            sk: 'loop',
            generation,
            tick,
            expiresAt: Math.floor(Date.now() / 1000) + 24 * 3600,
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR generation < :generation OR (generation = :generation AND tick < :tick)',
          ExpressionAttributeValues: { ':generation': generation, ':tick': tick },
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  },

  async deletePod(record, removal = {}) {
    // The item stays a while as a tombstone so that watchers see the deletion; TTL removes it.
    const rv = nextResourceVersion(record.resourceVersion);
    const tombstone = {
      TableName: tableName(),
      Key: keyOf(record.pod),
      UpdateExpression: `SET deleted = :yes, rv = :rv, changed = :changed, stage = :stage, expiresAt = :expires, feed = :feed${removal.pod ? ', body = :body' : ''} REMOVE waiting`,
      ConditionExpression: 'rv = :expected',
      ExpressionAttributeValues: {
        ...(removal.pod ? { ':body': bodyOf(removal.pod) } : {}),
        ':yes': true,
        ':rv': rv,
        ':changed': changeWindow(rv),
        // A task that may still run is the kubelet's to stop: its stream filter takes `stop`.
        ':stage': removal.stopTask ? 'stop' : 'deleted',
        ':feed': podFeed,
        ':expires': Math.floor(Date.now() / 1000) + tombstoneSeconds,
        ':expected': record.resourceVersion,
      },
    };
    const release = releaseFrom(record);
    // The tombstone alone, then the release: one transaction of both cost twice each item and
    // twice its change-index move, 8 write units against 5 (decisions.md "A deletion's release").
    if (await writeItems([{ Update: tombstone }])) {
      // The pod moved; or it is this tombstone already, written by a caller that died before
      // its release or by a concurrent deleter: the release is then still ours to make sure of.
      if (!release || !(await awaitsRelease(record))) throw new ConflictError();
    }
    if (release) await releaseOnce(record, release);
    if (record.stage === 'unschedulable') await leaveWaiting(record.pod, record.resourceVersion);
  },
};

/**
 * How long after its tombstone a deleted pod's release may still be made: well inside DynamoDB's
 * 10-minute window in which a transaction's client token makes a repeat a no-op (clocks of two
 * writers differ a little). Later, a release is assumed made: a double release would let nodes
 * be overcommitted, a missed one only leaves capacity unused.
 */
const releaseWindowMicros = 5 * 60 * 1_000_000;

/** Whether the pod's item is its tombstone, written recently, of a binding not given back by finishing. */
async function awaitsRelease(record: PodRecord): Promise<boolean> {
  const out = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keyOf(record.pod), ConsistentRead: true, ...capacity }),
  );
  recordCapacity('read', out.ConsumedCapacity);
  const item = out.Item;
  return (
    item?.deleted === true &&
    item.uid === record.pod.metadata?.uid &&
    item.released !== true &&
    item.nodeName === record.pod.spec?.nodeName &&
    typeof item.rv === 'number' &&
    Date.now() * 1000 - item.rv < releaseWindowMicros
  );
}

/**
 * Gives a deleted pod's requests back to its node exactly once: a transaction of the one update,
 * its client token derived from the pod's uid, so a repeat (a retried delivery, a concurrent
 * deleter, the SDK's own retry) within DynamoDB's 10 minutes changes nothing. A node that is gone
 * has nothing to give back.
 */
async function releaseOnce(record: PodRecord, release: TransactItem): Promise<void> {
  const token = createHash('sha256')
    .update(`release/${record.pod.metadata?.uid ?? ''}`)
    .digest('hex')
    .slice(0, 36);
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await dynamo().send(
        new TransactWriteCommand({ TransactItems: [release], ClientRequestToken: token, ...capacity }),
      );
      recordCapacity('write', out.ConsumedCapacity);
      return;
    } catch (error) {
      if (cancelledConditions(error)?.[0]) return;
      // Another transaction held the node, or this token's first call is still under way.
      const busy =
        cancelledConditions(error) !== undefined ||
        (error instanceof Error && error.name === 'TransactionInProgressException');
      // Not a ConflictError: the pod now reads as gone, so the caller's delivery must fail and come
      // again, to find the tombstone and finish here.
      if (!busy || attempt >= releaseAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}

const releaseAttempts = 5;

/** `<namespace>/<name>` of a pod item's keys (pk `pods/<namespace>`, sk the name). */
const podName = (pk: string, sk: string) => `${pk.slice('pods/'.length)}/${sk}`;

/** How long a deleted pod stays visible to watchers. */
export const tombstoneSeconds = watchWindowSeconds;

async function queryPods(namespace: string | undefined): Promise<ObjectItem[]> {
  const namespaces = namespace ? [namespace] : await listNamespaceNames();
  return (await Promise.all(namespaces.map((ns) => queryAll(podPartition(ns))))).flat();
}

/** DynamoDB's limits for one transaction: 100 items, 4 MB (an estimate with room to spare). */
const maxTransactionItems = 100;
const maxTransactionBytes = 3.5 * 2 ** 20;

/** Roughly what a binding writes: the pod's body and its attributes. */
const bindingBytes = (binding: Binding) => bodyOf(binding.bound).length + 1024;

/**
 * Splits bindings into transactions (lists of indices into `bindings`) in waves. Each node's
 * bindings go into chunks that fit a transaction with the node's item (and never share a host
 * port, which a single condition could not catch); a node's first chunks are packed together
 * into the first wave's transactions, its second chunks (if any) into the second wave's.
 */
function bindingWaves(bindings: readonly Binding[]): number[][][] {
  const byNode = new Map<string, number[]>();
  bindings.forEach((binding, i) => {
    const name = binding.node.node.metadata?.name ?? '';
    byNode.set(name, [...(byNode.get(name) ?? []), i]);
  });
  const waves: { items: number; bytes: number; indices: number[] }[][] = [];
  for (const indices of byNode.values()) {
    let wave = 0;
    let chunk: number[] = [];
    let bytes = 0;
    let ports = new Set<string>();
    const place = () => {
      if (chunk.length === 0) return;
      const items = chunk.length + 1;
      waves[wave] ??= [];
      const transactions = waves[wave] as { items: number; bytes: number; indices: number[] }[];
      const open = transactions.find(
        (t) => t.items + items <= maxTransactionItems && t.bytes + bytes <= maxTransactionBytes,
      );
      if (open) {
        open.items += items;
        open.bytes += bytes;
        open.indices.push(...chunk);
      } else transactions.push({ items, bytes, indices: chunk });
      wave++;
      chunk = [];
      bytes = 0;
      ports = new Set();
    };
    for (const i of indices) {
      const binding = bindings[i] as Binding;
      const size = bindingBytes(binding);
      const own = binding.requests.hostPorts ?? [];
      if (
        chunk.length + 2 > maxTransactionItems ||
        bytes + size > maxTransactionBytes ||
        own.some((port) => ports.has(port))
      )
        place();
      chunk.push(i);
      bytes += size;
      for (const port of own) ports.add(port);
    }
    place();
  }
  return waves.map((transactions) => transactions.map((t) => t.indices));
}

/**
 * One transaction for bindings on distinct nodes or on one node: each pod conditioned on its
 * resourceVersion and on having no node, each node's counters raised once by its pods' sum, on
 * the condition that the sum fits. A pod leaving the waiting set (a pod marked Unschedulable that
 * the same scheduler found room for after all) has its waiting item removed afterwards.
 */
async function commitBindings(bindings: readonly Binding[]): Promise<BatchBindOutcome[]> {
  const pods = bindings.map((binding) => podBinding(binding));
  const nodes = new Map<string, { node: Binding['node']; members: number[] }>();
  bindings.forEach((binding, i) => {
    const name = binding.node.node.metadata?.name ?? '';
    const entry = nodes.get(name) ?? { node: binding.node, members: [] };
    entry.members.push(i);
    nodes.set(name, entry);
  });
  const claims = [...nodes.values()].map(({ node, members }) => ({
    members,
    item: nodeClaim(
      node,
      members.map((i) => (bindings[i] as Binding).requests),
    ),
  }));
  try {
    const out = await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [...pods.map((p) => p.item), ...claims.map((c) => c.item)],
        ...capacity,
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  } catch (error) {
    const failed = cancelledConditions(error);
    if (!failed) throw error;
    const outcomes: BatchBindOutcome[] = bindings.map((_, i) => (failed[i] ? 'pod-changed' : 'cancelled'));
    claims.forEach((claim, c) => {
      // No room, or a host port another pod took: either way the scheduler reads the node again.
      if (nodeRefused(failed, bindings.length + c))
        for (const i of claim.members) if (outcomes[i] === 'cancelled') outcomes[i] = 'node-full';
    });
    // No condition failed: DynamoDB cancelled it for a concurrent transaction on the same items.
    if (!failed.some(Boolean)) return bindings.map(() => 'conflict');
    return outcomes;
  }
  await Promise.all(
    bindings
      .filter((b) => b.record.stage === 'unschedulable')
      .map((b) => leaveWaiting(b.record.pod, b.record.resourceVersion)),
  );
  return bindings.map(() => 'bound');
}

/** The pod's half of a binding: its node, and what it takes there, for releaseFrom to give back. */
function podBinding({ record, bound, node, requests }: Binding) {
  const { sets, values, remove } = podUpdate(record, bound);
  const ports = hostPortClauses(requests);
  return {
    item: {
      Update: {
        TableName: tableName(),
        Key: keyOf(record.pod),
        UpdateExpression: `SET ${[...sets, 'nodeName = :node', 'reqCpu = :cpu', 'reqMem = :mem', ...ports.recorded].join(', ')}${remove}`,
        ConditionExpression: 'rv = :expected AND attribute_not_exists(nodeName)',
        ExpressionAttributeValues: {
          ...values,
          ':node': node.node.metadata?.name ?? '',
          ':cpu': requests.cpuMillis,
          ':mem': requests.memoryBytes,
          ...ports.set,
        },
      },
    },
  };
}

/**
 * The node's half: its counters raised by the sum of its pods' requests. DynamoDB conditions
 * cannot add, so "used + sum <= allocatable" becomes "used <= allocatable - sum" against the node
 * as the scheduler read it. Host ports join the node's usedPorts set only if none of them is in
 * it yet.
 */
function nodeClaim(node: Binding['node'], requests: readonly PodRequests[]) {
  const total: PodRequests = {
    cpuMillis: requests.reduce((sum, r) => sum + r.cpuMillis, 0),
    memoryBytes: requests.reduce((sum, r) => sum + r.memoryBytes, 0),
    hostPorts: requests.flatMap((r) => r.hostPorts ?? []),
  };
  const ports = hostPortClauses(total);
  return {
    Update: {
      TableName: tableName(),
      Key: nodeKey(node.node.metadata?.name ?? ''),
      UpdateExpression: `ADD usedCpu :cpu, usedMem :mem, usedPods :count${ports.add}`,
      ConditionExpression: `attribute_exists(pk) AND usedCpu <= :maxCpu AND usedMem <= :maxMem AND usedPods <= :maxPods${ports.free}`,
      ExpressionAttributeValues: {
        ':cpu': total.cpuMillis,
        ':mem': total.memoryBytes,
        ':count': requests.length,
        ':maxCpu': node.allocatable.cpuMillis - total.cpuMillis,
        ':maxMem': node.allocatable.memoryBytes - total.memoryBytes,
        ':maxPods': node.allocatable.pods - requests.length,
        ...ports.set,
        ...ports.each,
      },
    },
  };
}

/** The node update that gives a bound pod's requests (and host ports) back, unless already given. */
function releaseFrom(record: PodRecord) {
  const nodeName = record.pod.spec?.nodeName;
  const requests: PodRequests | undefined = record.boundRequests;
  if (!nodeName || !requests || record.released) return undefined;
  const ports = hostPortClauses(requests);
  return {
    Update: {
      TableName: tableName(),
      Key: nodeKey(nodeName),
      UpdateExpression: `ADD usedCpu :cpu, usedMem :mem, usedPods :minusOne${ports.delete}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':cpu': -requests.cpuMillis,
        ':mem': -requests.memoryBytes,
        ':minusOne': -1,
        ...ports.set,
      },
    },
  };
}

/**
 * The expression parts for a pod's host ports, `:ports` being their string set. DynamoDB has no
 * empty set, so a pod without host ports gets empty parts and its writes never name usedPorts or
 * reqPorts (a node without the attribute passes `NOT contains`, as contains is false there).
 */
function hostPortClauses(requests: PodRequests) {
  const ports = requests.hostPorts ?? [];
  if (ports.length === 0) return { recorded: [], add: '', delete: '', free: '', set: {}, each: {} };
  return {
    /** On the pod: what binding took, for releaseFrom to give back. */
    recorded: ['reqPorts = :ports'],
    add: ', usedPorts :ports',
    delete: ' DELETE usedPorts :ports',
    free: ports.map((_, i) => ` AND NOT contains(usedPorts, :p${i})`).join(''),
    set: { ':ports': new Set(ports) },
    each: Object.fromEntries(ports.map((port, i) => [`:p${i}`, port])),
  };
}
