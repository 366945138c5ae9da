import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Node } from '../../core/k8s';
import { nodeStage } from '../../core/nodes/stage';
import { ConflictError, type NodeStore } from '../../core/ports';
import { nextResourceVersion } from '../../core/resource-version';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import { bodyOf, isConditionFailure, nodeKey, nodePartition, type ObjectItem, objectFromItem } from './items';
import { queryAll } from './query';

export const dynamoNodeStore: NodeStore = {
  async listNodes(options = {}) {
    const items = await queryAll(nodePartition, undefined, options);
    return items.map((item) => ({
      node: objectFromItem<Node>(item),
      allocatable: {
        cpuMillis: Number(item.allocCpu),
        memoryBytes: Number(item.allocMem),
        pods: Number(item.allocPods),
      },
      requested: {
        cpuMillis: Number(item.usedCpu ?? 0),
        memoryBytes: Number(item.usedMem ?? 0),
        pods: Number(item.usedPods ?? 0),
      },
      // A string set, absent while no bound pod publishes a host port (DynamoDB has no empty set).
      usedHostPorts: item.usedPorts instanceof Set ? [...item.usedPorts].map(String).sort() : [],
    }));
  },

  async getNode(name, options = {}) {
    const out = await dynamo().send(
      new GetCommand({
        TableName: tableName(),
        Key: nodeKey(name),
        ConsistentRead: options.consistent === true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return out.Item ? objectFromItem<Node>(out.Item as ObjectItem) : undefined;
  },

  async putNode(node, allocatable, previous) {
    // The used* counters belong to binding; a refresh only starts them at zero for a new node.
    const expected = previous ? Number(previous) : undefined;
    const condition =
      previous === undefined
        ? {}
        : previous === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'rv = :expected' };
    const out = await send(
      new UpdateCommand({
        TableName: tableName(),
        Key: nodeKey(node.metadata?.name ?? ''),
        UpdateExpression:
          'SET body = :body, allocCpu = :cpu, allocMem = :mem, allocPods = :pods, ' +
          'uid = if_not_exists(uid, :uid), created = if_not_exists(created, :now), rv = :rv, ' +
          'usedCpu = if_not_exists(usedCpu, :zero), usedMem = if_not_exists(usedMem, :zero), usedPods = if_not_exists(usedPods, :zero)' +
          stageClause(node).expression,
        ExpressionAttributeValues: {
          ':body': bodyOf(node),
          ':cpu': allocatable.cpuMillis,
          ':mem': allocatable.memoryBytes,
          ':pods': allocatable.pods,
          ':uid': randomUUID(),
          ':now': node.metadata?.creationTimestamp ?? new Date().toISOString(),
          ':zero': 0,
          ':rv': nextResourceVersion(expected),
          ...stageClause(node).values,
          ...(expected === undefined ? {} : { ':expected': expected }),
        },
        ...condition,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },

  async updateNode(node) {
    const expected = Number(node.metadata?.resourceVersion);
    const rv = nextResourceVersion(expected);
    const out = await send(
      new UpdateCommand({
        TableName: tableName(),
        Key: nodeKey(node.metadata?.name ?? ''),
        UpdateExpression: `SET body = :body, rv = :rv${stageClause(node).expression}`,
        ConditionExpression: 'rv = :expected',
        ExpressionAttributeValues: {
          ':body': bodyOf(node),
          ':rv': rv,
          ':expected': expected,
          ...stageClause(node).values,
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
    return { ...node, metadata: { ...node.metadata, resourceVersion: String(rv) } };
  },
};

/** The node's stage (core/nodes/stage.ts) as an update expression's tail: set, or removed. */
function stageClause(node: Node) {
  const stage = nodeStage(node);
  return stage
    ? { expression: ', stage = :stage', values: { ':stage': stage } }
    : { expression: ' REMOVE stage', values: {} };
}

/** A conditional node write: a failed condition is a ConflictError (the node moved). */
async function send(command: UpdateCommand) {
  try {
    return await dynamo().send(command);
  } catch (error) {
    if (isConditionFailure(error)) throw new ConflictError();
    throw error;
  }
}
