/**
 * The one definition of how podplane is wired: tables, which handler runs on what trigger,
 * stream filters, batch sizes and the EventBridge pattern. The CDK stack (lib/) and the local
 * control plane (local/) both read this, so the two cannot drift.
 *
 * Nothing here imports AWS SDK or CDK code: it is plain data.
 */

export const environmentVariables = {
  table: 'PODPLANE_TABLE',
  cluster: 'PODPLANE_CLUSTER',
  logGroup: 'PODPLANE_LOG_GROUP',
  /** The role ECS uses to pull images and write logs for pod tasks (optional locally). */
  taskExecutionRole: 'PODPLANE_TASK_EXECUTION_ROLE_ARN',
  /**
   * The role pod tasks run with, which may only open ECS Exec's Session Manager channels; when
   * set, tasks start with execute command enabled. Empty when podplane:ecsExec is off (and locally).
   */
  taskRole: 'PODPLANE_TASK_ROLE_ARN',
  /** NodeResourcesFit scoring: LeastAllocated (spread, the default) or MostAllocated (bin-pack). */
  scoringStrategy: 'PODPLANE_SCORING_STRATEGY',
  /** Fargate pools shown as virtual nodes (JSON, see functions/core/nodes/fargate-pool.ts). */
  fargatePools: 'PODPLANE_FARGATE_POOLS',
  /** The SQS delay queue behind restart back-offs and probe periods. */
  timerQueueUrl: 'PODPLANE_TIMER_QUEUE_URL',
  /** How EC2 pods are networked: `awsvpc` (an ENI and address per pod, the default) or `bridge`. */
  podNetworking: 'PODPLANE_POD_NETWORKING',
  /** Where awsvpc pods on EC2 get their ENIs: JSON `{"subnets": [...], "securityGroups": [...]}`. */
  podNetwork: 'PODPLANE_POD_NETWORK',
  /**
   * Scheduler names podplane's scheduler answers to besides `default-scheduler` (comma-separated,
   * like kube-scheduler's profiles); pods asking for any other name wait for that scheduler.
   */
  schedulerNames: 'PODPLANE_SCHEDULER_NAMES',
} as const;

export interface TableDefinition {
  readonly id: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly stream: 'NEW_AND_OLD_IMAGES';
  readonly timeToLiveAttribute: string;
  readonly indexes: readonly {
    readonly name: string;
    readonly partitionKey: string;
    /** Items of one partition in this attribute's order (a number: DynamoDB orders it as one). */
    readonly sortKey?: { readonly name: string; readonly type: 'string' | 'number' };
    readonly projection: 'KEYS_ONLY' | 'INCLUDE';
    /** With INCLUDE: the attributes copied into the index besides the keys. */
    readonly nonKeyAttributes?: readonly string[];
  }[];
}

/**
 * Every Kubernetes object lives in one table: pk `<resource>/<namespace>` (or `<resource>` for
 * cluster-scoped kinds), sk the object name. A namespace's pods are one item collection, so a
 * list is a single Query. The `byUid` index lets the status path find a pod from an ECS task,
 * whose `startedBy` carries the pod uid. `byWaiting` is no longer written or read (the waiting
 * set is a `waiting` partition read strongly consistently, docs/decisions.md "Scheduler"); it
 * stays until a later deploy removes it, as CloudFormation changes one index per update.
 */
export const objectsTable: TableDefinition = {
  id: 'Objects',
  partitionKey: 'pk',
  sortKey: 'sk',
  stream: 'NEW_AND_OLD_IMAGES',
  timeToLiveAttribute: 'expiresAt',
  indexes: [
    { name: 'byUid', partitionKey: 'uid', projection: 'KEYS_ONLY' },
    // Sparse: only unschedulable pods carry `waiting`, so requeueing them reads nothing else.
    { name: 'byWaiting', partitionKey: 'waiting', projection: 'KEYS_ONLY' },
    // Bound pods by node, keys only: a projected attribute would rewrite the index entry (a
    // write unit) on every change of it; the reconcile reads the pods it lists instead.
    { name: 'byNode', partitionKey: 'nodeName', projection: 'KEYS_ONLY' },
    // Every pod and event item by kind (`feed`: `pods` or `events`) at its latest write, in
    // order of the two-second window it was written in (`changed`, its resourceVersion rounded
    // down): a watch reads only what changed after its resourceVersion, however many objects
    // there are (docs/decisions.md "Streaming watches"). The entry carries what a watch sends (the
    // body and the attributes the object is read from), so a poll is one Query; an entry of a pod
    // item (under 1 KB) costs the write units a keys-only one would. A write in the same window
    // as the item's last one leaves the entry's key as it was: one index write instead of two
    // (docs/decisions.md "The change index keys by window").
    {
      name: 'byChangeWindow',
      partitionKey: 'feed',
      sortKey: { name: 'changed', type: 'number' },
      projection: 'INCLUDE',
      nonKeyAttributes: ['rv', 'body', 'createdRv', 'deleted', 'uid', 'created'],
    },
  ],
};

/** Stream filter in the Lambda event-filtering grammar (a subset: value lists only). */
export type StreamFilterPattern = {
  readonly eventName?: readonly string[];
  readonly dynamodb: { readonly NewImage: Record<string, { readonly S: readonly string[] }> };
};

export interface StreamTrigger {
  readonly kind: 'dynamodb-stream';
  readonly table: TableDefinition;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectBatchOnError: boolean;
  readonly parallelizationFactor: number;
  /** OR-ed, at most 5 (Lambda's limit per event source mapping). */
  readonly filters: readonly StreamFilterPattern[];
}

export interface HttpTrigger {
  readonly kind: 'http';
  /** Paths that skip authentication; everything else needs a bearer token. */
  readonly publicPaths: readonly string[];
  /** Request bodies of these types reach the handler base64-encoded (API Gateway's binaryMediaTypes). */
  readonly binaryMediaTypes: readonly string[];
}

/**
 * Requests of these methods go to this function, over API Gateway's response streaming (a Lambda
 * invoked with InvokeWithResponseStream), instead of the apiserver. A REST API routes by path and
 * method, never by query string, so a watch (`?watch=1`) cannot be told from a list before it
 * arrives: every GET comes here, and watches and log follows stream for as long as they last.
 */
export interface StreamingHttpTrigger {
  readonly kind: 'http-stream';
  readonly methods: readonly string[];
}

/** Fields of an event's `detail` and the values each may have. */
export type EventDetailPattern = Readonly<Record<string, readonly string[]>>;

/** One EventBridge rule's pattern. */
export interface EventRulePattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
  readonly detail?: EventDetailPattern;
}

export interface EventTrigger {
  readonly kind: 'eventbridge';
  /**
   * EventBridge pattern; the stack adds `detail.clusterArn` so only its own cluster matches. A
   * `detail` with `$or` matches an event whose detail matches any of its alternatives; they must
   * not overlap, as each becomes a rule of its own (see eventRulePatterns).
   */
  readonly pattern: Omit<EventRulePattern, 'detail'> & {
    readonly detail?: EventDetailPattern | { readonly $or: readonly EventDetailPattern[] };
  };
}

/**
 * The plain patterns of a trigger, one rule each: `$or` alternatives become rules of their own,
 * which EventBridge and LocalStack match alike (LocalStack's rule engine has not always known
 * `$or`). Disjoint alternatives invoke the target once per event, as `$or` would.
 */
export function eventRulePatterns(trigger: EventTrigger): readonly EventRulePattern[] {
  const { detail, ...envelope } = trigger.pattern;
  if (!detail) return [envelope];
  if (!('$or' in detail)) return [{ ...envelope, detail: detail as EventDetailPattern }];
  return (detail.$or as readonly EventDetailPattern[]).map((alternative) => ({
    ...envelope,
    detail: alternative,
  }));
}

export interface ScheduleTrigger {
  readonly kind: 'schedule';
  readonly everySeconds: number;
}

/** API Gateway's TOKEN authorizer in front of the HTTP function; its policy is cached per token. */
export interface AuthorizerTrigger {
  readonly kind: 'authorizer';
  readonly cacheSeconds: number;
}

/** A queue whose messages a function consumes (Lambda's SQS event source mapping). */
export interface QueueTrigger {
  readonly kind: 'sqs';
  readonly queue: QueueDefinition;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Deliveries of a message before it goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export interface QueueDefinition {
  readonly id: string;
  /** At least six times the consumer's timeout, as AWS advises for SQS event sources. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
}

export type Trigger =
  | StreamTrigger
  | HttpTrigger
  | StreamingHttpTrigger
  | EventTrigger
  | ScheduleTrigger
  | AuthorizerTrigger
  | QueueTrigger;

/**
 * Restart back-offs and probe periods are delayed messages: SQS delays each by up to 900 s,
 * per message, on AWS, on LocalStack's free tier and locally alike.
 */
export const timerQueue: QueueDefinition = {
  id: 'PodTimers',
  visibilityTimeoutSeconds: 180,
  retentionSeconds: 4 * 24 * 3600,
};

export interface FunctionDefinition {
  readonly entry: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly trigger: Trigger;
}

/**
 * Pod items carry a top-level `stage` attribute (see functions/core/pod/stage.ts): the one
 * thing a controller must do next. Filters on it mean each function is invoked only for the
 * records it acts on, and its own writes (which move the stage on) do not wake it again.
 */
const streamDefaults = {
  kind: 'dynamodb-stream',
  table: objectsTable,
  batchSize: 100,
  maxBatchingWindowSeconds: 0,
  retryAttempts: 10,
  maxRecordAgeSeconds: 3600,
  bisectBatchOnError: true,
  parallelizationFactor: 1,
} as const;

/**
 * The scheduler's records: unbound pods (stage `schedule`) that ask for one of the names it answers
 * to. Pod items carry spec.schedulerName as the top-level `schedulerName` attribute, so a pod meant
 * for another scheduler never invokes this one (`default-scheduler` is always among the names).
 */
export function schedulerFilters(schedulerNames: readonly string[]): StreamFilterPattern[] {
  const names = [...new Set(['default-scheduler', ...schedulerNames])];
  return [
    {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { stage: { S: ['schedule'] }, schedulerName: { S: names } } },
    },
  ];
}

/** A function's stream filters once the deployment's scheduler names are known. */
export function streamFiltersOf(
  name: string,
  trigger: StreamTrigger,
  schedulerNames: readonly string[],
): readonly StreamFilterPattern[] {
  return name === 'scheduler' ? schedulerFilters(schedulerNames) : trigger.filters;
}

export const functionDefinitions = {
  apiserver: {
    entry: 'functions/apiserver/handler.ts',
    memoryMiB: 1024,
    timeoutSeconds: 15,
    trigger: {
      kind: 'http',
      publicPaths: ['/healthz', '/livez', '/readyz'],
      // kubectl's typed clients (e.g. `kubectl create namespace`) send Kubernetes protobuf.
      binaryMediaTypes: ['application/vnd.kubernetes.protobuf'],
    },
  },
  // Holds watches and log follows open for up to 15 minutes (Lambda's and API Gateway's ceiling),
  // mostly waiting: a small function, so a held watch costs a quarter of the apiserver's memory.
  watch: {
    entry: 'functions/watch/handler.ts',
    memoryMiB: 256,
    timeoutSeconds: 900,
    trigger: { kind: 'http-stream', methods: ['GET'] },
  },
  authorizer: {
    entry: 'functions/authorizer/handler.ts',
    memoryMiB: 256,
    timeoutSeconds: 10,
    // Five minutes: a revoked token stops working within that; each cached decision saves a
    // Lambda invocation and a DynamoDB read on every request.
    trigger: { kind: 'authorizer', cacheSeconds: 300 },
  },
  scheduler: {
    entry: 'functions/scheduler/handler.ts',
    memoryMiB: 1024,
    timeoutSeconds: 60,
    trigger: {
      ...streamDefaults,
      filters: schedulerFilters([]),
    },
  },
  // Also Kubernetes' taint eviction controller: node items with a NoExecute taint carry stage
  // `evict` (functions/core/nodes/stage.ts). A third mapping on the stream is not to be had (two
  // readers per shard), and deleting pods whose tasks it then stops is the kubelet's side anyway.
  kubelet: {
    entry: 'functions/kubelet/handler.ts',
    memoryMiB: 512,
    timeoutSeconds: 120,
    trigger: {
      ...streamDefaults,
      filters: [
        {
          eventName: ['INSERT', 'MODIFY'],
          dynamodb: { NewImage: { stage: { S: ['launch', 'replace', 'stop', 'evict'] } } },
        },
      ],
    },
  },
  podStatus: {
    entry: 'functions/pod-status/handler.ts',
    memoryMiB: 512,
    timeoutSeconds: 30,
    trigger: {
      kind: 'eventbridge',
      // Only the transitions that change a pod's status: the kubelet already shows the starting
      // states as ContainerCreating, and the stopping states still run, so a running task that
      // was asked to stop (desiredStatus STOPPED, announced as a change of its own) changes
      // nothing until it has stopped. Events the rules drop cost nothing; each one they pass is a
      // Lambda invocation and two reads.
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          $or: [{ lastStatus: ['RUNNING'], desiredStatus: ['RUNNING'] }, { lastStatus: ['STOPPED'] }],
        },
      },
    },
  },
  // Back-offs that end and probe periods that pass: a timer is a few reads and one write, so
  // batches of 10 with no batching window keep restarts on time.
  podTimers: {
    entry: 'functions/pod-timers/handler.ts',
    memoryMiB: 512,
    timeoutSeconds: 30,
    trigger: {
      kind: 'sqs',
      queue: timerQueue,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxReceiveCount: 5,
    },
  },
  reconcile: {
    entry: 'functions/reconcile/handler.ts',
    memoryMiB: 512,
    timeoutSeconds: 300,
    trigger: { kind: 'schedule', everySeconds: 60 },
  },
  nodeSync: {
    entry: 'functions/node-sync/handler.ts',
    memoryMiB: 256,
    timeoutSeconds: 60,
    trigger: { kind: 'schedule', everySeconds: 60 },
  },
  // The same sync as soon as a container instance registers, drains or loses its agent.
  containerInstanceEvents: {
    entry: 'functions/node-sync/handler.ts',
    memoryMiB: 256,
    timeoutSeconds: 60,
    trigger: {
      kind: 'eventbridge',
      pattern: { source: ['aws.ecs'], 'detail-type': ['ECS Container Instance State Change'] },
    },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functionDefinitions;
