import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { dynamo } from '../functions/adapters/dynamodb/client';
import { dynamoTokenStore } from '../functions/adapters/dynamodb/token-store';
import { type AuthorizerPolicy, tokenHash } from '../functions/core/auth/tokens';
import type { PodNetworking } from '../functions/core/ecs/task-definition';
import {
  environmentVariables,
  type FunctionName,
  functionDefinitions,
  objectsTable,
  streamFiltersOf,
  timerQueue,
} from '../functions/wiring';
import { cachedAuthorizer } from './authorizer-cache';
import { ensureCertificates } from './certs';
import { checkJava, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { type EcsSimulator, startEcsSimulator } from './ecs-simulator';
import { LocalEventBus } from './event-bus';
import { type FaultController, type FaultOptions, startFaults } from './faults';
import { startGateway } from './gateway';
import { ensureToken, removeControlPlaneInfo, writeControlPlaneInfo, writeKubeconfig } from './kubeconfig';
import {
  invocationCounts,
  invokeLocal,
  invokeStreamingLocal,
  type LambdaHandler,
  type StreamingLambdaHandler,
} from './lambda';
import { closeServer } from './processes';
import { installResponseStreaming } from './response-streaming.mjs';
import { startLocalSqs } from './sqs';
import { QueueEventSource } from './sqs/event-source';
import { StreamPoller } from './stream-poller';

export interface ControlPlaneOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Where the CA, token and kubeconfig live. Default `.podplane`. */
  readonly stateDir?: string;
  readonly kubeconfigPath?: string;
  /**
   * Keep the state here, so a restart resumes where the last run stopped (killed or not):
   * DynamoDB's tables, the ECS simulator's tasks and the timer queue's messages. In memory when
   * absent.
   */
  readonly dataDir?: string;
  readonly nodes?: number;
  readonly nodeCpu?: number;
  readonly nodeMemoryMiB?: number;
  readonly runTaskRate?: { burst: number; perSecond: number } | false;
  readonly defaultStartDelayMs?: number;
  /** Progress lines while starting and problems while running. */
  readonly log?: (line: string) => void;
  /** Adds a Fargate pool (one virtual node, 32 vCPU / 64 GiB, 100 pods) beside the EC2 nodes. */
  readonly fargate?: boolean;
  /** NodeResourcesFit scoring strategy for the scheduler. */
  readonly scoringStrategy?: 'LeastAllocated' | 'MostAllocated';
  /** Scheduler names the scheduler answers to besides `default-scheduler`. */
  readonly schedulerNames?: readonly string[];
  /**
   * Run the bundles `cdk synth` writes, each in a worker thread with the environment its
   * template gives it, instead of the handlers' sources (local/bundled/).
   */
  readonly bundled?: boolean;
  /** How EC2 pods are networked, as podplane:podNetworking on AWS. Default awsvpc. */
  readonly podNetworking?: PodNetworking;
  /** Lambda log level (Powertools); WARN keeps `npm start` readable. */
  readonly logLevel?: string;
  /**
   * Real time per simulated second, for tests and demos: 0.01 runs the ECS simulator's clock
   * and the SQS delays (restart back-offs, probe periods) 100 times faster. Default 1.
   */
  readonly timeScale?: number;
  /** Inject faults (local/faults/): from the moment the control plane is ready until disarmed. */
  readonly faults?: FaultOptions;
}

export interface ControlPlane {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly caCertPath: string;
  readonly tokenPath: string;
  readonly token: string;
  readonly dynamoEndpoint: string;
  readonly ecs: EcsSimulator;
  /** Lambda invocations per function since start. */
  invocations(): Record<string, number>;
  /** Invokes a function as its trigger would (the chaos checks run the reconcile this way). */
  invoke<T>(name: FunctionName, event: unknown): Promise<T>;
  /** Present when started with `faults`: their counts, and a switch to stop them. */
  readonly faults?: FaultController;
  stop(): Promise<void>;
}

const region = 'us-east-1';
/** The simulator accepts any subnet and security group; these only have to be present. */
const localFargatePool = {
  name: 'fargate-us-east-1a',
  zone: 'us-east-1a',
  cpu: '32',
  memory: '64Gi',
  pods: 100,
  subnets: ['subnet-local'],
  securityGroups: ['sg-local'],
};
/** Where awsvpc pods on the simulated instances get their ENIs. */
const localPodNetwork = { subnets: ['subnet-local'], securityGroups: ['sg-local-pods'] };
const clusterName = 'podplane';
const tableName = 'podplane-objects';
const podLogGroup = '/podplane/local/pods';

/**
 * The whole podplane control plane on one machine: DynamoDB Local, the ECS simulator, and the
 * real Lambda handlers wired exactly as functions/wiring.ts says — HTTPS in front of the
 * apiserver, stream pollers in front of the scheduler and kubelet, an event bus in front of the
 * status handler, a timer in front of node sync.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => undefined);
  const stateDir = resolve(options.stateDir ?? '.podplane');
  const kubeconfigPath = resolve(options.kubeconfigPath ?? join(stateDir, 'kubeconfig'));
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  const step = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    log(`  ${what} ...`);
    const result = await action();
    log(`  ${what}: done in ${Date.now() - started} ms`);
    return result;
  };

  try {
    checkJava();
    const dynamodb: DynamoDbLocal = await step(
      `starting DynamoDB Local (${options.dataDir ? `data in ${options.dataDir}` : 'in memory'})`,
      () => startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {}),
    );
    cleanups.push(() => dynamodb.stop());
    log(`  DynamoDB Local: pid ${dynamodb.pid} at ${dynamodb.endpoint}`);

    const faults = options.faults
      ? await step('starting the fault injection (a proxy in front of DynamoDB Local)', () =>
          startFaults(options.faults as FaultOptions, dynamodb.endpoint),
        )
      : undefined;
    if (faults) cleanups.push(() => faults.stop());

    const eventBus = new LocalEventBus(
      (event, error) =>
        log(`event dead-lettered after retries: ${describe(error)} ${JSON.stringify(event).slice(0, 200)}`),
      3,
      faults?.eventDeliveries,
    );
    // Task events before the bus has its rules (a restored task's, with --data-dir) wait for them:
    // EventBridge would not have lost them.
    let heldEvents: unknown[] | undefined = [];
    const ecs = await step(`starting the ECS simulator (${options.nodes ?? 3} nodes)`, () =>
      startEcsSimulator({
        clusterName,
        region,
        nodes: options.nodes ?? 3,
        nodeCpu: options.nodeCpu ?? 4,
        nodeMemoryMiB: options.nodeMemoryMiB ?? 8192,
        ...(options.runTaskRate !== undefined ? { runTaskRate: options.runTaskRate } : {}),
        ...(options.defaultStartDelayMs !== undefined
          ? { defaultStartDelayMs: options.defaultStartDelayMs }
          : {}),
        onTaskStateChange: (event) => (heldEvents ? heldEvents.push(event) : eventBus.publish(event)),
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        ...(faults ? { operationHook: faults.ecsOperations } : {}),
        ...(options.dataDir ? { dataDir: options.dataDir, log } : {}),
      }),
    );
    cleanups.push(() => ecs.stop());
    if (ecs.restored)
      log(
        `  ECS simulator: ${ecs.restored.tasks} task(s) restored from ${options.dataDir} (${ecs.restored.running} running${ecs.restored.dropped ? `; ${ecs.restored.dropped} on container instances no longer configured left out` : ''})`,
      );

    const queueTriggers = Object.values(functionDefinitions).flatMap((d) =>
      d.trigger.kind === 'sqs' ? [d.trigger] : [],
    );
    const sqs = await step('starting SQS for the timer queue', () =>
      startLocalSqs({
        queues: queueTriggers.map((t) => ({ definition: t.queue, maxReceiveCount: t.maxReceiveCount })),
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        onDeadLetter: (queue, message) =>
          log(`${queue}: message dead-lettered after retries: ${message.body.slice(0, 200)}`),
        ...(options.dataDir ? { dataDir: options.dataDir, log } : {}),
      }),
    );
    cleanups.push(() => sqs.stop());
    if (options.dataDir) log(`  SQS: ${sqs.restoredMessages} message(s) restored from ${options.dataDir}`);

    // The handlers find their AWS endpoints the way they do on Lambda: from the environment.
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'podplane',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'podplane',
      AWS_ENDPOINT_URL_DYNAMODB: faults?.dynamoEndpoint ?? dynamodb.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodb.endpoint,
      AWS_ENDPOINT_URL_ECS: ecs.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: ecs.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      [environmentVariables.timerQueueUrl]: sqs.queue(timerQueue.id).options.url,
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
      // No X-Ray daemon and no CloudWatch here: traces would only warn, and metrics would print
      // their EMF JSON into the terminal. Powertools 2.x reads exactly these two names.
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      [environmentVariables.table]: tableName,
      [environmentVariables.cluster]: clusterName,
      [environmentVariables.logGroup]: podLogGroup,
      [environmentVariables.scoringStrategy]: options.scoringStrategy ?? 'LeastAllocated',
      [environmentVariables.schedulerNames]: (options.schedulerNames ?? []).join(','),
      [environmentVariables.fargatePools]: options.fargate ? JSON.stringify([localFargatePool]) : '[]',
      [environmentVariables.podNetworking]: options.podNetworking ?? 'awsvpc',
      [environmentVariables.podNetwork]: JSON.stringify(localPodNetwork),
    });

    const streamArn = await step('creating tables from functions/wiring.ts', async () => {
      const { ensureTable } = await import('./tables');
      const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, region });
      try {
        return await ensureTable(client, tableName, objectsTable);
      } finally {
        client.destroy();
      }
    });

    const pollers: StreamPoller[] = [];
    const nudgePollers = () => {
      for (const poller of pollers) poller.nudge();
    };
    const handlers = options.bundled
      ? await step('synthesizing the stack and loading its bundles (--bundled)', async () => {
          const { loadBundledHandlers } = await import('./bundled/index');
          const bundled = await loadBundledHandlers({
            outdir: join(stateDir, 'cdk.out'),
            local: {
              tableName,
              clusterName,
              podLogGroup,
              timerQueueUrl: sqs.queue(timerQueue.id).options.url,
              podSubnet: localPodNetwork.subnets[0] ?? '',
              podSecurityGroup: localPodNetwork.securityGroups[0] ?? '',
              accountId: '000000000000',
              region,
            },
            runtimeEnvironment: bundledRuntimeEnvironment(options.logLevel ?? 'WARN'),
            onInvoked: nudgePollers,
          });
          cleanups.push(() => bundled.stop());
          return bundled.handlers;
        })
      : await step('loading the Lambda handlers', () => loadHandlers());
    // The authorizer is left alone: API Gateway answers its failures with 401s, not retries.
    const invocationHook = faults?.invocations({
      timeScale: options.timeScale ?? 1,
      exempt: new Set(['authorizer']),
    });
    const invoke = <T>(name: FunctionName, event: unknown) =>
      invokeLocal<T>(name, functionDefinitions[name], handlers[name], event, invocationHook);

    nudgeOnWrites(nudgePollers);
    const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamodb.endpoint, region });
    cleanups.push(() => streamsClient.destroy());
    for (const [name, definition] of Object.entries(functionDefinitions) as [
      FunctionName,
      (typeof functionDefinitions)[FunctionName],
    ][]) {
      const trigger = definition.trigger;
      if (trigger.kind === 'dynamodb-stream') {
        const poller = new StreamPoller({
          client: streamsClient,
          streamArn,
          trigger: { ...trigger, filters: streamFiltersOf(name, trigger, options.schedulerNames ?? []) },
          invoke: (event) => invoke(name, event),
          onDiscard: (records, reason) =>
            log(`${name}: ${records.length} record(s) sent to the on-failure queue: ${reason}`),
          ...(faults ? { redeliver: faults.streamRedelivery(name) } : {}),
        });
        poller.start();
        pollers.push(poller);
        cleanups.push(() => poller.stop());
      } else if (trigger.kind === 'sqs') {
        const source = new QueueEventSource(
          sqs.queue(trigger.queue.id),
          trigger,
          (event) => invoke(name, event),
          (error) => log(`${name} failed: ${describe(error)}`),
          faults?.queueDuplicates(name),
        );
        source.start();
        cleanups.push(() => source.stop());
      } else if (trigger.kind === 'eventbridge') {
        eventBus.addRule(trigger, { clusterArn: [ecs.clusterArn] }, (event) => invoke(name, event));
        cleanups.push(() => eventBus.drain());
      } else if (trigger.kind === 'schedule') {
        await step(`running ${name} once`, () =>
          invoke(name, { source: 'aws.events', 'detail-type': 'Scheduled Event' }),
        );
        // One run at a time, like a rule whose target is still busy; stop waits for a run under way.
        let running: Promise<void> | undefined;
        const timer = setInterval(() => {
          running ??= invoke(name, { source: 'aws.events', 'detail-type': 'Scheduled Event' })
            .then(() => undefined)
            .catch((error) => log(`${name} failed: ${describe(error)}`))
            .finally(() => {
              running = undefined;
            });
        }, trigger.everySeconds * 1000);
        cleanups.push(async () => {
          clearInterval(timer);
          await running;
        });
      }
    }
    const held = heldEvents;
    heldEvents = undefined;
    for (const event of held) eventBus.publish(event);

    const certificates = await step('preparing TLS certificates', () => ensureCertificates(stateDir));
    const token = ensureToken(stateDir);
    // The local token is an admin token: every namespace, as kubectl's first user expects.
    await dynamoTokenStore.putGrant(tokenHash(token), { subject: 'admin', namespaces: ['*'] });
    const gateway = await step('starting the HTTPS API', () =>
      startGateway({
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 8080,
        certificates,
        trigger: functionDefinitions.apiserver.trigger,
        authorize: cachedAuthorizer(
          (authorizationToken, methodArn) =>
            invoke<AuthorizerPolicy>('authorizer', { type: 'TOKEN', authorizationToken, methodArn }),
          functionDefinitions.authorizer.trigger.cacheSeconds,
        ),
        invoke: (event) => invoke('apiserver', event),
        streaming: {
          methods: functionDefinitions.watch.trigger.methods,
          invoke: (event) =>
            invokeStreamingLocal(
              'watch',
              functionDefinitions.watch,
              handlers.watch as unknown as StreamingLambdaHandler,
              event,
            ),
        },
      }),
    );
    cleanups.push(() => closeServer(gateway.server));
    writeKubeconfig(kubeconfigPath, gateway.url, certificates.caCert, token);
    // For `npm run kubeconfig -- --local`: where this control plane keeps its tokens.
    writeControlPlaneInfo(stateDir, {
      url: gateway.url,
      dynamoEndpoint: dynamodb.endpoint,
      ecsEndpoint: ecs.endpoint,
      table: tableName,
      region,
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'podplane',
      pid: process.pid,
    });
    cleanups.push(() => removeControlPlaneInfo(stateDir, process.pid));

    if (faults) {
      // Stopping: events held back by a fault are dropped, not delivered to stopping handlers.
      cleanups.push(() => faults.dropPending());
      faults.controller.arm();
      log(`  faults armed: ${faults.controller.spec || 'none'} (seed ${faults.controller.seed})`);
    }
    return {
      url: gateway.url,
      kubeconfigPath,
      caCertPath: join(stateDir, 'ca.crt'),
      tokenPath: join(stateDir, 'token'),
      token,
      dynamoEndpoint: dynamodb.endpoint,
      ecs,
      invocations: () => Object.fromEntries(invocationCounts),
      invoke,
      ...(faults ? { faults: faults.controller } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * What a bundled function gets besides its template's variables: what the Lambda runtime sets
 * (region, credentials) and what only this machine needs (its stand-ins' endpoints; no X-Ray
 * daemon and no CloudWatch, as for the source handlers).
 */
function bundledRuntimeEnvironment(logLevel: string): Record<string, string> {
  const names = [
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_DYNAMODB_STREAMS',
    'AWS_ENDPOINT_URL_ECS',
    'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
    'AWS_ENDPOINT_URL_SQS',
    'POWERTOOLS_TRACE_ENABLED',
    'POWERTOOLS_METRICS_DISABLED',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ];
  return {
    ...Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
    AWS_DEFAULT_REGION: process.env.AWS_REGION ?? region,
    POWERTOOLS_LOG_LEVEL: logLevel,
  };
}

async function loadHandlers(): Promise<Record<FunctionName, LambdaHandler>> {
  // As the Lambda runtime does before it loads a handler module: streamifyResponse is a global.
  installResponseStreaming();
  const entries = await Promise.all(
    (Object.entries(functionDefinitions) as [FunctionName, { entry: string }][]).map(
      async ([name, definition]) => {
        const module = (await import(new URL(`../${definition.entry}`, import.meta.url).href)) as {
          handler: LambdaHandler;
        };
        return [name, module.handler] as const;
      },
    ),
  );
  return Object.fromEntries(entries) as Record<FunctionName, LambdaHandler>;
}

/**
 * Wakes the stream pollers after every DynamoDB call the handlers make, so a record is picked up
 * as soon as it is written. The middleware is added from here, so the adapters stay the same
 * code as on Lambda.
 */
function nudgeOnWrites(nudge: () => void): void {
  dynamo().middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      nudge();
      return result;
    },
    { step: 'initialize', name: 'podplaneLocalStreamNudge', override: true },
  );
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
