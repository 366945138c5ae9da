import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  callFacts,
  invocationScope,
  recordCallsVariable,
  recorded,
} from '../../functions/adapters/call-recorder';

describe('callFacts', () => {
  it('keeps what IAM reads of a transaction: each member table, the action it is checked as, its partition key', () => {
    const facts = callFacts({
      TransactItems: [
        { Put: { TableName: 'objects', Item: { pk: { S: 'pods/default' } } } },
        {
          ConditionCheck: {
            TableName: 'objects',
            Key: { pk: { S: 'namespaces' }, sk: { S: 'team-a' } },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        { Update: { TableName: 'objects', Key: {}, UpdateExpression: 'SET a = :a' } },
      ],
    });
    expect(facts.items).toEqual([
      { table: 'objects', action: 'PutItem', partitionKey: 'pods/default' },
      { table: 'objects', action: 'ConditionCheckItem', partitionKey: 'namespaces' },
      { table: 'objects', action: 'UpdateItem' },
    ]);
  });

  it('never keeps an item, a message body or an environment value', () => {
    const facts = callFacts({
      TableName: 'objects',
      IndexName: 'byUid',
      Item: { password: { S: 's3cret' } },
      MessageBody: 's3cret',
      QueueUrl: 'http://127.0.0.1:1/000000000000/timers',
      containerDefinitions: [
        {
          name: 'app',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1',
          environment: [{ name: 'PASSWORD', value: 's3cret' }],
          secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:secretsmanager:us-east-1:1:secret:t' }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/pods' } },
        },
      ],
    });
    expect(JSON.stringify(facts)).not.toContain('s3cret');
    expect(facts).toMatchObject({
      items: [{ table: 'objects', index: 'byUid' }],
      queueUrl: 'http://127.0.0.1:1/000000000000/timers',
      logGroups: ['/pods'],
      imageRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
      secretReferences: ['arn:aws:secretsmanager:us-east-1:1:secret:t'],
    });
  });

  it('names the roles a launch hands to ECS and the tag keys it creates', () => {
    const facts = callFacts({
      cluster: 'podplane',
      taskDefinition: 'pp-abc:1',
      overrides: { taskRoleArn: 'arn:aws:iam::1:role/other' },
      tags: [{ key: 'podplane.dev/namespace', value: 'team-a' }],
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      enableExecuteCommand: true,
    });
    expect(facts).toEqual({
      cluster: 'podplane',
      taskDefinition: 'pp-abc:1',
      passedRoles: ['arn:aws:iam::1:role/other'],
      tagKeys: ['podplane.dev/namespace'],
      capacityProviders: ['FARGATE'],
      enableExecuteCommand: true,
    });
  });
});

/** Every request answered `{}` at once: the whole middleware stack runs, no network. */
const answeredLocally = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  requestHandler: {
    handle: async () => ({
      response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from('{}')]) },
    }),
  },
};

describe('recorded clients', () => {
  let directory = '';
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'podplane-calls-'));
  });
  afterEach(() => {
    delete process.env[recordCallsVariable];
    rmSync(directory, { recursive: true, force: true });
  });
  const lines = () =>
    readdirSync(directory).flatMap((file) =>
      readFileSync(join(directory, file), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line)),
    );

  it('writes each distinct call once, with the function whose invocation made it', async () => {
    process.env[recordCallsVariable] = directory;
    const ecs = recorded(new ECSClient(answeredLocally));
    const input = { cluster: 'podplane', taskDefinition: 'pp-abc:1' };
    await invocationScope.run('kubelet', () => ecs.send(new RunTaskCommand(input)));
    await invocationScope.run('kubelet', () => ecs.send(new RunTaskCommand(input)));
    await ecs.send(new RunTaskCommand(input));
    expect(lines()).toEqual([
      { fn: 'kubelet', service: 'ECS', operation: 'RunTask', facts: input },
      { fn: null, service: 'ECS', operation: 'RunTask', facts: input },
    ]);
  });

  it('adds nothing when recording is off', async () => {
    const dynamodb = recorded(new DynamoDBClient(answeredLocally));
    await dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [] }));
    expect(readdirSync(directory)).toEqual([]);
  });
});
