import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Pod } from '../../core/k8s';
import type { PodRequests } from '../../core/pod/requests';
import type { BackOff } from '../../core/pod/restart';
import { podStage } from '../../core/pod/stage';
import {
  AlreadyExistsError,
  type BindOutcome,
  ConflictError,
  type PodOnNodeEntry,
  type PodRecord,
  type PodStore,
  type PodWrite,
} from '../../core/ports';
import { nextResourceVersion } from '../../core/resource-version';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
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
  const values: Record<string, unknown> = {
    ':body': bodyOf(next),
    ':rv': nextResourceVersion(record.resourceVersion),
    ':expected': record.resourceVersion,
    ':stage': podStage(next, {
      ...(taskArn ? { taskArn } : {}),
      ...(restartDue !== undefined ? { restartDue } : {}),
      ...(specGeneration !== undefined ? { specGeneration } : {}),
    }),
  };
  const sets = ['body = :body', 'rv = :rv', 'stage = :stage'];
  const removes: string[] = [];
  // `waiting` exists only on unschedulable pods: the sparse byWaiting index lists just them.
  const waiting = values[':stage'] === 'unschedulable';
  if (waiting) {
    sets.push('waiting = :waiting');
    values[':waiting'] = 'unschedulable';
  }
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
  if (!waiting) removes.push('waiting');
  return { sets, names, values, remove: removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '' };
}

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

  async podChangesSince(namespace, resourceVersion) {
    return (await queryPods(namespace))
      .filter((item) => item.rv > resourceVersion)
      .sort((a, b) => a.rv - b.rv)
      .map((item) => ({
        type: item.deleted ? 'DELETED' : Number(item.createdRv ?? 0) > resourceVersion ? 'ADDED' : 'MODIFIED',
        pod: objectFromItem<Pod>(item),
      }));
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
      createdRv: rv,
      stage: podStage(pod, {}),
      body: bodyOf(pod),
    };
    try {
      const out = await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: item,
          // A tombstone keeps the name only for watchers; a new pod may take it.
          ConditionExpression: 'attribute_not_exists(pk) OR deleted = :yes',
          ExpressionAttributeValues: { ':yes': true },
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      if (isConditionFailure(error)) throw new AlreadyExistsError();
      throw error;
    }
    return objectFromItem<Pod>(item);
  },

  async updatePod(record, next, write) {
    const { sets, values, remove } = podUpdate(record, next, write);
    try {
      const out = await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keyOf(record.pod),
          UpdateExpression: `SET ${sets.join(', ')}${remove}`,
          ConditionExpression: 'rv = :expected',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
      return podRecordFromItem(out.Attributes as ObjectItem);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError();
      throw error;
    }
  },

  async bindPod(record, bound, node, requests) {
    const { sets, values, remove } = podUpdate(record, bound);
    const nodeName = node.node.metadata?.name ?? '';
    const ports = hostPortClauses(requests);
    try {
      const out = await dynamo().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: keyOf(record.pod),
                UpdateExpression: `SET ${[...sets, 'nodeName = :node', 'reqCpu = :cpu', 'reqMem = :mem', ...ports.recorded].join(', ')}${remove}`,
                ConditionExpression: 'rv = :expected AND attribute_not_exists(nodeName)',
                ExpressionAttributeValues: {
                  ...values,
                  ':node': nodeName,
                  ':cpu': requests.cpuMillis,
                  ':mem': requests.memoryBytes,
                  ...ports.set,
                },
              },
            },
            {
              // DynamoDB conditions cannot add, so "used + request <= allocatable" becomes
              // "used <= allocatable - request" against the node as the scheduler read it. Host
              // ports join the node's usedPorts set only if none of them is in it yet.
              Update: {
                TableName: tableName(),
                Key: nodeKey(nodeName),
                UpdateExpression: `ADD usedCpu :cpu, usedMem :mem, usedPods :one${ports.add}`,
                ConditionExpression: `attribute_exists(pk) AND usedCpu <= :maxCpu AND usedMem <= :maxMem AND usedPods <= :maxPods${ports.free}`,
                ExpressionAttributeValues: {
                  ':cpu': requests.cpuMillis,
                  ':mem': requests.memoryBytes,
                  ':one': 1,
                  ':maxCpu': node.allocatable.cpuMillis - requests.cpuMillis,
                  ':maxMem': node.allocatable.memoryBytes - requests.memoryBytes,
                  ':maxPods': node.allocatable.pods - 1,
                  ...ports.set,
                  ...ports.each,
                },
              },
            },
          ],
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
      return 'bound';
    } catch (error) {
      const failed = cancelledConditions(error);
      if (!failed) throw error;
      if (failed[0]) return 'pod-changed';
      // No room, or a host port another pod took: either way the scheduler reads the node again.
      return failed[1] ? 'node-full' : ('conflict' satisfies BindOutcome);
    }
  },

  async unbindPod(record, next, write) {
    const { sets, values, remove } = podUpdate(record, next, write);
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
    const release = releaseFrom(record);
    try {
      const out = await dynamo().send(
        new TransactWriteCommand({
          TransactItems: [{ Update: update }, ...(release ? [release] : [])],
          ...capacity,
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      const failed = cancelledConditions(error);
      if (!failed) throw error;
      if (failed[0]) throw new ConflictError();
      // The node is gone, and with it what the pod held there: only the pod is left to write.
      const out = await dynamo().send(new UpdateCommand({ ...update, ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
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
      if (failed[0]) throw new ConflictError();
      // The node is gone: there is nothing to give back, only the pod to record.
      return this.updatePod(record, next, write);
    }
    return (
      (await this.getPod(record.pod.metadata?.namespace ?? '', record.pod.metadata?.name ?? '', true)) ??
      record
    );
  },

  async listPodsOnNode(nodeName) {
    const items = await queryAll(nodeName, { name: 'byNode', key: 'nodeName' });
    return items
      .filter((item) => String(item.pk).startsWith('pods/'))
      .map(
        (item): PodOnNodeEntry => ({
          namespace: String(item.pk).slice('pods/'.length),
          name: String(item.sk),
          ...(typeof item.stage === 'string' ? { stage: item.stage } : {}),
          ...(typeof item.taskArn === 'string' ? { taskArn: item.taskArn } : {}),
        }),
      );
  },

  async listUnschedulable(limit) {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'byWaiting',
        KeyConditionExpression: 'waiting = :waiting',
        ExpressionAttributeValues: { ':waiting': 'unschedulable' },
        Limit: limit,
        ...capacity,
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    const records = await Promise.all(
      (out.Items ?? []).map((key) => this.getPod(String(key.pk).slice('pods/'.length), String(key.sk), true)),
    );
    return records.filter((r): r is PodRecord => r !== undefined);
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

  async deletePod(record) {
    // The item stays a while as a tombstone so that watchers see the deletion; TTL removes it.
    const tombstone = {
      TableName: tableName(),
      Key: keyOf(record.pod),
      UpdateExpression: 'SET deleted = :yes, rv = :rv, stage = :stage, expiresAt = :expires REMOVE waiting',
      ConditionExpression: 'rv = :expected',
      ExpressionAttributeValues: {
        ':yes': true,
        ':rv': nextResourceVersion(record.resourceVersion),
        ':stage': 'deleted',
        ':expires': Math.floor(Date.now() / 1000) + tombstoneSeconds,
        ':expected': record.resourceVersion,
      },
    };
    const release = releaseFrom(record);
    try {
      if (release) {
        const out = await dynamo().send(
          new TransactWriteCommand({ TransactItems: [{ Update: tombstone }, release], ...capacity }),
        );
        recordCapacity('write', out.ConsumedCapacity);
        return;
      }
      const out = await dynamo().send(new UpdateCommand({ ...tombstone, ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      const failed = cancelledConditions(error);
      if (isConditionFailure(error) || failed?.[0]) throw new ConflictError();
      if (!failed) throw error;
      // The node is gone: there is nothing to give back, only the pod to delete.
      const out = await dynamo().send(new UpdateCommand({ ...tombstone, ...capacity }));
      recordCapacity('write', out.ConsumedCapacity);
    }
  },
};

/** How long a deleted pod stays visible to watchers. */
export const tombstoneSeconds = 600;

async function queryPods(namespace: string | undefined): Promise<ObjectItem[]> {
  const namespaces = namespace ? [namespace] : await listNamespaceNames();
  return (await Promise.all(namespaces.map((ns) => queryAll(podPartition(ns))))).flat();
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
