import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeIndexName } from '../../functions/adapters/dynamodb/changes';
import { taskDefinitionFamily } from '../../functions/core/ecs/task-definition';
import {
  environmentVariables,
  eventRulePatterns,
  type FunctionDefinition,
  functionDefinitions,
  objectsTable,
  type StreamTrigger,
} from '../../functions/wiring';
import { maxStreamingSeconds, publicPathThrottle, stageThrottle } from '../../lib/api';
import { podplaneMetrics } from '../../lib/dashboard';
import { PodplaneStack } from '../../lib/stack';

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  DependsOn?: string[];
};
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const definitions = Object.entries(functionDefinitions) as [string, FunctionDefinition][];
const streamConsumers = definitions.filter(
  (entry): entry is [string, FunctionDefinition & { trigger: StreamTrigger }] =>
    entry[1].trigger.kind === 'dynamodb-stream',
);
/** The wiring's `podStatus` -> `podplane-pod-status` (two functions may share an entry file). */
const serviceName = (definition: FunctionDefinition) => {
  const name = Object.entries(functionDefinitions).find(([, d]) => d === definition)?.[0] ?? '';
  return `podplane-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
};

const outdir = mkdtempSync(join(tmpdir(), 'podplane-cdk-test-'));
let template: Template;
let resources: Record<string, Resource>;

// Synthesis bundles every handler with esbuild: do it once for the whole file.
beforeAll(() => {
  const app = new App({ outdir });
  const stack = new PodplaneStack(app, 'Test', {
    stackName: 'podplane-test',
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const streamMappings = () =>
  ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
    JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'),
  );
/** The delay queue behind back-offs and probes: its messages are work, not failures. */
const timerQueueId = () => {
  const [id] = ofType('AWS::SQS::Queue').find(([, q]) => q.Properties.RedrivePolicy !== undefined) ?? [];
  if (!id) throw new Error('no timer queue in the template');
  return id;
};

function functionLogicalId(definition: FunctionDefinition): string {
  const found = ofType('AWS::Lambda::Function').find(
    ([, r]) =>
      (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .POWERTOOLS_SERVICE_NAME === serviceName(definition),
  );
  if (!found) throw new Error(`no function for ${definition.entry}`);
  return found[0];
}

/** The wiring's functions (they carry a Powertools service name), not the custom resources' ones. */
const handlerFunctions = () =>
  ofType('AWS::Lambda::Function').filter(
    ([, r]) =>
      (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME !== undefined,
  );

function clusterLogicalId(): string {
  const [cluster] = ofType('AWS::ECS::Cluster');
  if (!cluster) throw new Error('no ECS cluster');
  return cluster[0];
}

/** The pods' task role (ECS Exec), as opposed to the task execution role. */
function taskRoleLogicalId(): string {
  const [role] = ofType('AWS::IAM::Role').filter(([id]) => /TaskRole/.test(id) && !/Execution/.test(id));
  if (!role) throw new Error('no task role');
  return role[0];
}

const statements = (): Statement[] =>
  ofType('AWS::IAM::Policy').flatMap(
    ([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('functions', () => {
  it('builds one Lambda per wiring definition, all on the pinned nodejs22.x on arm64', () => {
    expect(handlerFunctions()).toHaveLength(definitions.length);
    const functions = ofType('AWS::Lambda::Function');
    // Besides the handlers: the cluster teardown's function (a delete-time custom resource).
    expect(functions).toHaveLength(definitions.length + 1);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
  });

  it.each(definitions)(
    '%s gets its memory, timeout, environment and Powertools service name',
    (_, definition) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: definition.memoryMiB,
        Timeout: definition.timeoutSeconds,
        LoggingConfig: { LogGroup: Match.anyValue() },
        Environment: {
          Variables: Match.objectLike({
            ...Object.fromEntries(
              Object.values(environmentVariables).map((name) => [name, Match.anyValue()]),
            ),
            POWERTOOLS_SERVICE_NAME: serviceName(definition),
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    },
  );

  it('gives every function its own log group with the configured retention', () => {
    const retained = ofType('AWS::Logs::LogGroup').filter(([, r]) => r.Properties.RetentionInDays === 7);
    expect(retained.length).toBeGreaterThanOrEqual(definitions.length);
  });
});

describe('api', () => {
  const publicPaths = functionDefinitions.apiserver.trigger.publicPaths.map((p) => p.slice(1));
  const pathOf = (method: Resource) => {
    const resource = resources[(method.Properties.ResourceId as { Ref?: string }).Ref ?? ''];
    return resource ? String(resource.Properties.PathPart) : '';
  };

  it('puts the bearer-token authorizer on every method but the health paths', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    const open = methods
      .filter(([, m]) => m.Properties.AuthorizationType === 'NONE')
      .map(([, m]) => pathOf(m));
    expect(open.sort()).toEqual([...publicPaths].sort());
    const secured = methods.filter(([, m]) => m.Properties.AuthorizationType !== 'NONE');
    expect(secured.length).toBeGreaterThanOrEqual(2);
    for (const [, method] of secured) {
      expect(method.Properties.AuthorizationType).toBe('CUSTOM');
      expect(method.Properties.AuthorizerId).toBeDefined();
    }
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: functionDefinitions.authorizer.trigger.cacheSeconds,
    });
  });

  it('answers 401 and 403 itself as Kubernetes Status objects', () => {
    for (const [type, code] of [
      ['UNAUTHORIZED', 401],
      ['ACCESS_DENIED', 403],
    ] as const) {
      const [[, response] = []] = ofType('AWS::ApiGateway::GatewayResponse').filter(
        ([, r]) => r.Properties.ResponseType === type,
      );
      expect(response?.Properties.StatusCode).toBe(String(code));
      const body = JSON.parse(
        (response?.Properties.ResponseTemplates as Record<string, string> | undefined)?.[
          'application/json'
        ] ?? '{}',
      );
      expect(body).toMatchObject({ kind: 'Status', status: 'Failure', code });
    }
  });
});

describe('store', () => {
  it('is the wiring table: keys, NEW_AND_OLD_IMAGES stream, TTL and the byUid index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: objectsTable.partitionKey, KeyType: 'HASH' },
        { AttributeName: objectsTable.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: objectsTable.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: objectsTable.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
        Projection: { ProjectionType: index.projection },
      })),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(objectsTable.indexes.map((index) => index.name)).toContain('byUid');
  });

  it('orders the change index by the second of each write, as a number, as watches query it', () => {
    const [[, table] = []] = ofType('AWS::DynamoDB::Table');
    const properties = table?.Properties as {
      AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
      GlobalSecondaryIndexes: {
        IndexName: string;
        KeySchema: { AttributeName: string; KeyType: string }[];
      }[];
    };
    expect(properties.AttributeDefinitions).toContainEqual({ AttributeName: 'changed', AttributeType: 'N' });
    expect(properties.GlobalSecondaryIndexes.find((i) => i.IndexName === changeIndexName)?.KeySchema).toEqual(
      [
        { AttributeName: 'feed', KeyType: 'HASH' },
        { AttributeName: 'changed', KeyType: 'RANGE' },
      ],
    );
  });

  it('outlives the stack', () => {
    const [[, table] = []] = ofType('AWS::DynamoDB::Table');
    expect(table?.DeletionPolicy).toBe('Retain');
  });
});

describe('stream consumers', () => {
  it('stays within the two readers a DynamoDB stream shard serves', () => {
    const mappings = streamMappings();
    expect(mappings).toHaveLength(streamConsumers.length);
    expect(mappings.length).toBeLessThanOrEqual(2);
  });

  it.each(streamConsumers)('%s reads the stream with the wiring settings and filters', (_, definition) => {
    const { trigger } = definition;
    expect(trigger.filters.length).toBeLessThanOrEqual(5);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionLogicalId(definition) },
      EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: trigger.batchSize,
      MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
      MaximumRetryAttempts: trigger.retryAttempts,
      MaximumRecordAgeInSeconds: trigger.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: trigger.bisectBatchOnError,
      ParallelizationFactor: trigger.parallelizationFactor,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
      FilterCriteria: { Filters: trigger.filters.map((filter) => ({ Pattern: JSON.stringify(filter) })) },
    });
  });

  it('sends records it gives up on to encrypted, TLS-only queues kept 14 days', () => {
    for (const [, mapping] of streamMappings()) {
      const destination = (mapping.Properties.DestinationConfig as { OnFailure: { Destination: unknown } })
        .OnFailure.Destination as { 'Fn::GetAtt': [string, string] };
      const queue = resources[destination['Fn::GetAtt'][0]];
      expect(queue?.Type).toBe('AWS::SQS::Queue');
      expect(queue?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('timer queue', () => {
  const definition = functionDefinitions.podTimers;
  it('feeds the pod-timers function in small batches with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionLogicalId(definition) },
      EventSourceArn: { 'Fn::GetAtt': [timerQueueId(), 'Arn'] },
      BatchSize: definition.trigger.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('dead-letters a timer that keeps failing, into a queue with an alarm', () => {
    const queue = resources[timerQueueId()];
    expect(queue?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: definition.trigger.queue.visibilityTimeoutSeconds,
      RedrivePolicy: { maxReceiveCount: definition.trigger.maxReceiveCount },
    });
    // AWS's advice for SQS event sources: visibility at least six times the function's timeout.
    expect(definition.trigger.queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * definition.timeoutSeconds,
    );
  });

  it('lets the status path (status, timers, reconcile) and the kubelet send timers, and no other', () => {
    const senders = statements()
      .filter((s) => actionsOf(s).includes('sqs:SendMessage'))
      .filter((s) => JSON.stringify(s.Resource).includes(timerQueueId()));
    expect(senders.length).toBe(4);
  });
});

describe('ECS task events', () => {
  it("routes only this cluster's ECS Task State Change events to the status function", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [{ 'Fn::GetAtt': [clusterLogicalId(), 'Arn'] }] },
      },
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
        }),
      ],
    });
  });

  it.each(definitions.filter(([, d]) => d.trigger.kind === 'eventbridge'))(
    "%s's rules match the wiring pattern, narrowed to this cluster",
    (_, definition) => {
      if (definition.trigger.kind !== 'eventbridge') throw new Error('not an eventbridge trigger');
      const target = [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(definition), 'Arn'] } })];
      const rules = Object.values(
        template.findResources('AWS::Events::Rule', { Properties: { Targets: target } }),
      );
      const patterns = eventRulePatterns(definition.trigger);
      expect(rules).toHaveLength(patterns.length);
      for (const pattern of patterns)
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: {
            source: pattern.source,
            'detail-type': pattern['detail-type'],
            detail: { ...pattern.detail, clusterArn: [{ 'Fn::GetAtt': [clusterLogicalId(), 'Arn'] }] },
          },
          Targets: target,
        });
    },
  );

  it.each(definitions.filter(([, d]) => d.trigger.kind === 'eventbridge'))(
    '%s is the target of its rule and keeps failed invocations',
    (_, definition) => {
      const id = functionLogicalId(definition);
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: id },
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    },
  );
});

describe('schedules', () => {
  it.each(
    definitions.flatMap(([name, d]) =>
      d.trigger.kind === 'schedule' ? [[name, d, d.trigger.everySeconds] as const] : [],
    ),
  )('%s runs on a rate rule', (_, definition, everySeconds) => {
    const minutes = everySeconds / 60;
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(definition), 'Arn'] } })],
    });
  });
});

describe('API', () => {
  const proxyResourceId = () => {
    const [[id] = []] = ofType('AWS::ApiGateway::Resource').filter(
      ([, r]) => r.Properties.PathPart === '{proxy+}',
    );
    if (!id) throw new Error('no {proxy+} resource');
    return id;
  };
  /** `/` or `/{proxy+}`: the resources every Kubernetes path goes through. */
  const onRootOrProxy = (method: Resource) => {
    const resource = JSON.stringify(method.Properties.ResourceId);
    return resource.includes('RootResourceId') || resource === JSON.stringify({ Ref: proxyResourceId() });
  };
  const integrationOf = (method: Resource) =>
    method.Properties.Integration as { Type: string; Uri: unknown } & Record<string, unknown>;

  it('proxies every path to the apiserver through a REST API stage named api, but GET', () => {
    const apiserver = functionLogicalId(functionDefinitions.apiserver);
    const methods = ofType('AWS::ApiGateway::Method');
    // ANY and GET on / and /{proxy+}; GET on each health path.
    expect(methods.map(([, m]) => m.Properties.HttpMethod).sort()).toEqual(
      [
        'ANY',
        'ANY',
        'GET',
        'GET',
        ...functionDefinitions.apiserver.trigger.publicPaths.map(() => 'GET'),
      ].sort(),
    );
    // ANY stays on / and /{proxy+}: every other method (and HEAD) goes to the apiserver.
    expect(methods.filter(([, m]) => m.Properties.HttpMethod === 'ANY' && onRootOrProxy(m))).toHaveLength(2);
    for (const [, method] of methods.filter(
      ([, m]) => !onRootOrProxy(m) || m.Properties.HttpMethod === 'ANY',
    )) {
      expect(integrationOf(method)).toMatchObject({ Type: 'AWS_PROXY' });
      expect(integrationOf(method).ResponseTransferMode).toBeUndefined();
      expect(JSON.stringify(integrationOf(method).Uri)).toContain(
        `lambda:path/2015-03-31/functions/",{"Fn::GetAtt":["${apiserver}","Arn"]},"/invocations"`,
      );
    }
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'api' });
  });

  it('sends GET on / and /{proxy+} to the watch function over response streaming, behind the authorizer', () => {
    const watch = functionLogicalId(functionDefinitions.watch);
    const gets = ofType('AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'GET' && onRootOrProxy(m),
    );
    expect(gets).toHaveLength(2);
    expect(functionDefinitions.watch.timeoutSeconds).toBeLessThanOrEqual(maxStreamingSeconds);
    for (const [, method] of gets) {
      expect(method.Properties.AuthorizationType).toBe('CUSTOM');
      expect(method.Properties.AuthorizerId).toBeDefined();
      expect(integrationOf(method)).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        ResponseTransferMode: 'STREAM',
        TimeoutInMillis: functionDefinitions.watch.timeoutSeconds * 1000,
      });
      // InvokeWithResponseStream's path, not Invoke's.
      expect(integrationOf(method).Uri).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':apigateway:',
            { Ref: 'AWS::Region' },
            ':lambda:path/2021-11-15/functions/',
            { 'Fn::GetAtt': [watch, 'Arn'] },
            '/response-streaming-invocations',
          ],
        ],
      });
    }
  });

  it('lets API Gateway invoke the watch function for GET only (InvokeWithResponseStream is authorized as lambda:InvokeFunction)', () => {
    const watch = functionLogicalId(functionDefinitions.watch);
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [watch, 'Arn'] }),
    );
    // The stage and the console's test invocations, on / and on /{proxy+}.
    expect(permissions).toHaveLength(4);
    for (const [, permission] of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      });
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(/\/GET\/(\*)?"\]\]\}$/);
    }
  });

  it('throttles the stage, and the unauthenticated health paths harder', () => {
    const [[, stage] = []] = ofType('AWS::ApiGateway::Stage');
    const settings = stage?.Properties.MethodSettings as Record<string, unknown>[];
    expect(settings).toContainEqual(
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: stageThrottle.rateLimit,
        ThrottlingBurstLimit: stageThrottle.burstLimit,
      }),
    );
    for (const path of functionDefinitions.apiserver.trigger.publicPaths)
      expect(settings).toContainEqual(
        expect.objectContaining({
          HttpMethod: 'GET',
          ResourcePath: `/~1${path.slice(1)}`,
          ThrottlingRateLimit: publicPathThrottle.rateLimit,
          ThrottlingBurstLimit: publicPathThrottle.burstLimit,
        }),
      );
    expect(publicPathThrottle.rateLimit).toBeLessThan(stageThrottle.rateLimit);
  });

  it('caches authorizer decisions per token for the wiring TTL', () => {
    expect(functionDefinitions.authorizer.trigger.cacheSeconds).toBeGreaterThan(0);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: functionDefinitions.authorizer.trigger.cacheSeconds,
    });
  });

  it('writes a JSON access log line per request and execution logs for errors', () => {
    const [[, stage] = []] = ofType('AWS::ApiGateway::Stage');
    const access = stage?.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(resources[(access.DestinationArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]]?.Type).toBe(
      'AWS::Logs::LogGroup',
    );
    expect(JSON.parse(access.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
    expect(stage?.Properties.MethodSettings).toContainEqual(
      expect.objectContaining({ ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
    );
    // API Gateway logs only once the account names a CloudWatch role; the stack keeps it.
    template.hasResource('AWS::ApiGateway::Account', {});
    template.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain' });
  });

  it('outputs ApiUrl, TableName and ClusterName', () => {
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs).sort()).toEqual(['ApiUrl', 'ClusterName', 'TableName']);
  });
});

describe('dashboard', () => {
  const body = () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    return JSON.stringify(dashboards[0]?.[1].Properties.DashboardBody);
  };

  it("graphs every custom pod metric in the handlers' namespace and service dimension", () => {
    const text = body();
    for (const name of [...podplaneMetrics.counts, ...podplaneMetrics.latenciesMs])
      expect(text).toContain(`[\\"podplane\\",\\"${name}\\",\\"service\\",\\"podplane\\"`);
    for (const name of podplaneMetrics.latenciesMs) {
      expect(text).toMatch(new RegExp(`${name}.{0,120}p50`));
      expect(text).toMatch(new RegExp(`${name}.{0,120}p99`));
    }
  });

  it('graphs every function, every failure queue, the table and the API', () => {
    const text = body();
    for (const [, definition] of definitions) expect(text).toContain(functionLogicalId(definition));
    for (const [queue] of ofType('AWS::SQS::Queue')) expect(text).toContain(queue);
    for (const metric of ['Invocations', 'Errors', 'Throttles', 'Duration']) expect(text).toContain(metric);
    for (const metric of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits', 'ThrottledRequests'])
      expect(text).toContain(metric);
    for (const metric of ['Count', '4XXError', '5XXError', 'Latency']) expect(text).toContain(metric);
  });
});

describe('dashboard: the watch function', () => {
  it("graphs the watch function's duration (streams of minutes) on the right axis, apart from the others'", () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    const text = JSON.stringify(dashboards[0]?.[1].Properties.DashboardBody).replaceAll('\\', '');
    expect(text).toContain('"label":"watch","period":60,"stat":"p99","yAxis":"right"');
    expect(text).toContain('"label":"apiserver","period":60,"stat":"p99"}');
  });
});

describe('tracing', () => {
  it('traces every function and the API stage with X-Ray', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function'))
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });
});

describe('container runtime', () => {
  it('is an ECS cluster without Container Insights, with a pod log group per stack', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/podplane/podplane-test/pods' });
  });

  it('pays for no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('networks EC2 pods with awsvpc by default, giving every function the same network', () => {
    const networks = new Set<string>();
    for (const [, fn] of handlerFunctions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[environmentVariables.podNetworking]).toBe('awsvpc');
      expect(variables[environmentVariables.podNetwork]).toBeDefined();
      networks.add(JSON.stringify(variables[environmentVariables.podNetwork]));
    }
    expect(networks.size).toBe(1);
  });
});

describe('cluster teardown (cdk destroy with pods running)', () => {
  const teardown = () => {
    const [found] = ofType('Custom::PodplaneClusterTeardown');
    if (!found) throw new Error('no cluster teardown');
    return found;
  };

  it('bundles the handler that stops the tasks, and runs it with a service timeout', () => {
    const [id, resource] = teardown();
    expect(resource.Properties.ServiceTimeout).toBe('660');
    expect(resource.DependsOn).toContain(clusterLogicalId());
    const functionId = (resource.Properties.ServiceToken as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const fn = resources[functionId];
    expect(fn?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Timeout: 600, Handler: 'index.handler' });
    // The asset is staged in the cloud assembly as asset.<hash>, uploaded as <hash>.zip.
    const code = fn?.Properties.Code as { S3Key: string } | undefined;
    const key = String(code?.S3Key);
    const bundle = readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
    expect(bundle).toContain('podplane stack deleted');
    for (const [, handler] of handlerFunctions()) expect(handler.DependsOn).toContain(id);
  });
});

describe('IAM', () => {
  it('lets the kubelet run tasks only from pod task definitions, only on this cluster', () => {
    const runTask = statements().find((s) => actionsOf(s).includes('ecs:RunTask'));
    expect(runTask?.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [clusterLogicalId(), 'Arn'] } },
    });
    // The resource glob must match the family names the kubelet registers.
    const arn = JSON.stringify(runTask?.Resource);
    const glob = /task-definition\/([^"]+)"/.exec(arn)?.[1] ?? '';
    const pattern = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    expect(taskDefinitionFamily({ containerDefinitions: [] })).toMatch(pattern);
  });

  it('lets the kubelet pass only the task execution role and the task role, only to ECS tasks', () => {
    const passRole = statements().filter((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0]?.Resource).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/TaskExecutionRole/), 'Arn'] },
      { 'Fn::GetAtt': [taskRoleLogicalId(), 'Arn'] },
    ]);
    expect(passRole[0]?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
  });

  it('grants `*` unconditioned only where the service has no resource-level permissions', () => {
    const allowedOnAnyResource = new Set([
      'ecs:RegisterTaskDefinition',
      'ecs:DescribeTaskDefinition',
      'ecr:GetAuthorizationToken',
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchGetImage',
      // Stream consumers list the table's streams; ListStreams has no resource-level permission.
      'dynamodb:ListStreams',
      // Active tracing: X-Ray has no resource-level permissions.
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      // ECS Exec's channels, on the pods' task role: ssmmessages has no resource-level permissions.
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    const open = statements().filter((s) => s.Resource === '*' && !s.Condition);
    for (const statement of open) {
      for (const action of actionsOf(statement)) expect(allowedOnAnyResource).toContain(action);
    }
  });
});

describe('ECS Exec (podplane:ecsExec, on by default)', () => {
  it("runs pod tasks with a task role that may only open ECS Exec's Session Manager channels", () => {
    const role = resources[taskRoleLogicalId()];
    expect(JSON.stringify(role?.Properties.AssumeRolePolicyDocument)).toContain('ecs-tasks.amazonaws.com');
    // Only ECS acting for this account may assume it, as for the execution role.
    expect(JSON.stringify(role?.Properties.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = ofType('AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties.Roles).includes(taskRoleLogicalId()),
    );
    expect(
      policies.flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        Resource: '*',
      },
    ]);
  });

  it('hands the kubelet the task role, which it puts on task definitions and RunTask enables exec for', () => {
    const kubelet = resources[functionLogicalId(functionDefinitions.kubelet)];
    const environment = kubelet?.Properties.Environment as { Variables: Record<string, unknown> } | undefined;
    expect(environment?.Variables[environmentVariables.taskRole]).toEqual({
      'Fn::GetAtt': [taskRoleLogicalId(), 'Arn'],
    });
  });
});

describe('IAM: least privilege', () => {
  const tableId = () => {
    const [[id] = []] = ofType('AWS::DynamoDB::Table');
    return id ?? '';
  };
  const policiesOf = (definition: FunctionDefinition) => {
    const fn = resources[functionLogicalId(definition)];
    if (!fn) throw new Error(`no function for ${definition.entry}`);
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };

  it('gives every function a role of its own without AWS managed policies', () => {
    const functions = ofType('AWS::Lambda::Function');
    const roles = new Set(functions.map(([, r]) => JSON.stringify(r.Properties.Role)));
    expect(roles.size).toBe(functions.length);
    expect(new Set(handlerFunctions().map(([, r]) => JSON.stringify(r.Properties.Role))).size).toBe(
      definitions.length,
    );
    for (const [, role] of ofType('AWS::IAM::Role').filter(([id]) => !/CloudWatchRole/.test(id)))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('names the table and each index instead of index/*', () => {
    const dynamo = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(JSON.stringify(dynamo)).not.toContain('index/*');
    const apiserverTable = policiesOf(functionDefinitions.apiserver).find((s) =>
      actionsOf(s).includes('dynamodb:PutItem'),
    );
    const indexes = objectsTable.indexes.map((index) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, `/index/${index.name}`]],
    }));
    expect(apiserverTable?.Resource).toEqual([{ 'Fn::GetAtt': [tableId(), 'Arn'] }, ...indexes]);
  });

  it('lets the watch function read the table, its indexes and the pod logs, and remove only namespace items', () => {
    const watch = policiesOf(functionDefinitions.watch).filter(
      (s) => !actionsOf(s).some((a) => a.startsWith('xray:') || a === 'logs:PutLogEvents'),
    );
    const indexes = objectsTable.indexes.map((index) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, `/index/${index.name}`]],
    }));
    expect(watch).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        Resource: [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, ...indexes],
      }),
      // A GET of an emptied Terminating namespace removes it (functions/core/api/namespaces.ts).
      expect.objectContaining({
        Action: 'dynamodb:DeleteItem',
        Resource: { 'Fn::GetAtt': [tableId(), 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['namespaces'] } },
      }),
      expect.objectContaining({ Action: 'logs:GetLogEvents' }),
    ]);
    expect(JSON.stringify(watch.at(-1)?.Resource)).toContain('RuntimePodLogs');
  });

  it('lets the authorizer read one item by key and do nothing else', () => {
    const authorizer = policiesOf(functionDefinitions.authorizer).filter(
      (s) => !actionsOf(s).some((a) => a.startsWith('xray:') || a.startsWith('logs:')),
    );
    expect(authorizer).toEqual([
      expect.objectContaining({ Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [tableId(), 'Arn'] } }),
    ]);
  });

  it('lets each function write to its own log group only', () => {
    for (const [, definition] of definitions) {
      const logWrites = policiesOf(definition).filter((s) => actionsOf(s).includes('logs:PutLogEvents'));
      expect(logWrites).toHaveLength(1);
      expect(JSON.stringify(logWrites[0]?.Resource)).toMatch(
        /Logs[0-9A-F]{8}", "Arn"|Logs[0-9A-F]{8}","Arn"/,
      );
    }
  });
});

describe('Fargate capacity (podplane:fargate)', () => {
  it('enables Fargate capacity providers and hands node-sync one pool per public subnet', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'podplane-cdk-fargate-')) });
    const stack = new PodplaneStack(app, 'Fargate', {
      stackName: 'podplane-fargate',
      logRetention: logs.RetentionDays.ONE_WEEK,
      fargate: { cpu: '32', memory: '64Gi', pods: 50, spot: true },
    });
    const fargate = Template.fromStack(stack);
    fargate.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
    const nodeSync = Object.values(fargate.toJSON().Resources as Record<string, Resource>).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME === 'podplane-node-sync',
    );
    const pools = JSON.stringify(
      (nodeSync?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables
        .PODPLANE_FARGATE_POOLS,
    );
    expect(pools).toContain('FARGATE_SPOT');
    expect(pools).toContain('fargate-0');
    expect(pools).toContain('fargate-1');
  }, 120_000);
});

describe('alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('watches every failure queue and dead-letter queue for a single message', () => {
    const queues = ofType('AWS::SQS::Queue')
      .map(([id]) => id)
      .filter((id) => id !== timerQueueId());
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) {
      const watching = alarms().filter(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(queue),
      );
      expect(watching).toHaveLength(1);
      expect(watching[0]).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('watches every function for errors and throttles', () => {
    for (const [, definition] of definitions) {
      const id = functionLogicalId(definition);
      const metrics = alarms()
        .filter((a) => JSON.stringify(a.Dimensions).includes(id))
        .map((a) => a.MetricName)
        .sort();
      expect(metrics).toEqual(['Errors', 'Throttles']);
    }
  });
});
