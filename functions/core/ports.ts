import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { TokenGrant } from './auth/tokens';
import type { Event, EventRecorder } from './events';
import type { Namespace, Node, Pod } from './k8s';
import type { PodRequests } from './pod/requests';
import type { BackOff } from './pod/restart';
import type { NodeInfo, NodeResources } from './scheduler/framework';

/** A pod as stored: the object plus the bookkeeping the controllers keep beside it. */
export interface PodRecord {
  readonly pod: Pod;
  readonly resourceVersion: number;
  /** The ECS task currently running this pod. */
  readonly taskArn?: string;
  /** `detail.version` of the newest ECS task event applied, to drop stale and repeated ones. */
  readonly taskVersion?: number;
  /** What binding took from the node, given back exactly once. */
  readonly boundRequests?: PodRequests;
  readonly released: boolean;
  /** A tombstone (only a stream record carries one): the pod is gone, its task may remain to stop. */
  readonly deleted?: boolean;
  /** The stage last written (see pod/stage.ts); `schedule` on an unschedulable pod means requeued. */
  readonly stage?: string;
  /** Which task of the pod runs or runs next: 0 first, one more per restart (see taskGroup). */
  readonly taskGeneration: number;
  /** While the pod waits out a back-off: when (epoch ms) its next task is due. */
  readonly restartDue?: number;
  /** The back-off so far, to double the next delay. */
  readonly backOff?: BackOff;
  /** The task before the current one, for `kubectl logs --previous`. */
  readonly previousTaskArn?: string;
  /**
   * The pod's metadata.generation the kubelet last acted on for the current task: the spec it
   * launched the task from, or a later one it stopped the task for (a new image) or found nothing
   * to restart for. A higher metadata.generation is a spec change the kubelet has yet to act on
   * (stage `replace`). Forgotten with the task; absent on older records, which ran generation 1.
   */
  readonly specGeneration?: number;
}

export interface PodOnNodeEntry {
  readonly namespace: string;
  readonly name: string;
  readonly stage?: string;
  readonly taskArn?: string;
  /** The pod as read for this listing (absent for a deleted pod's tombstone). */
  readonly record?: PodRecord;
}

/** One write of an object, as a watch reads it back: the object as that write left it. */
export interface StoredChange<T> {
  /** `<namespace>/<name>` (`/<name>` for cluster-scoped objects). */
  readonly key: string;
  readonly object: T;
  readonly resourceVersion: number;
  /** The write that created the object, where the store keeps it. */
  readonly createdResourceVersion?: number;
  /** The write was the deletion (the object is its last state). */
  readonly deleted: boolean;
  /** What the store wrote: the object's key, or the item several objects share (event bundles). */
  readonly written: string;
}

/** Whether a watch already read this write (`written` at a resourceVersion). */
export type SeenChange = (written: string, resourceVersion: number) => boolean;

export interface PodWrite {
  readonly taskArn?: string;
  readonly taskVersion?: number;
  readonly taskGeneration?: number;
  /** A number starts a back-off; null ends it. */
  readonly restartDue?: number | null;
  readonly backOff?: BackOff;
  /** Forgets the stopped task, so the kubelet launches the next generation. */
  readonly clearTask?: boolean;
  readonly previousTaskArn?: string;
  readonly specGeneration?: number;
}

/** Thrown when a conditional write lost to a concurrent one (HTTP 409 Conflict for clients). */
export class ConflictError extends Error {}

/** Thrown when create finds the name taken. */
export class AlreadyExistsError extends Error {}

/** `conflict`: DynamoDB cancelled the transaction because another one touched the same items. */
export type BindOutcome = 'bound' | 'pod-changed' | 'node-full' | 'conflict';

/**
 * One binding of a batch: `cancelled` means nothing was wrong with it, but another binding in
 * the same transaction failed its condition, so none of them was written.
 */
export type BatchBindOutcome = BindOutcome | 'cancelled';

/** A pod and the node the scheduler chose for it, as it read the node, and what it takes there. */
export interface Binding {
  readonly record: PodRecord;
  /** The pod as bound: spec.nodeName and PodScheduled=True. */
  readonly bound: Pod;
  readonly node: NodeInfo;
  readonly requests: PodRequests;
}

/** How a pod is removed, when it is not removed as its stopped task's last step. */
export interface PodRemoval {
  /** The pod as its tombstone shows it (its deletionTimestamp set), if not the record's. */
  readonly pod?: Pod;
  /**
   * Its task may still run (a forced delete, or finalizers removed before the task stopped): the
   * tombstone stays in the kubelet's stop stage so that the task is stopped all the same.
   */
  readonly stopTask?: boolean;
}

export interface PodStore {
  getPod(namespace: string, name: string, consistent?: boolean): Promise<PodRecord | undefined>;
  listPods(namespace?: string): Promise<Pod[]>;
  /**
   * Pods written after a resourceVersion, deletions included (as kept tombstones), oldest first;
   * each at its latest write (a pod written twice since shows once). Writes `seen` names are left out.
   */
  podChangesSince(
    namespace: string | undefined,
    resourceVersion: number,
    seen?: SeenChange,
  ): Promise<StoredChange<Pod>[]>;
  findPodByUid(uid: string): Promise<PodRecord | undefined>;
  createPod(pod: Pod): Promise<Pod>;
  /** Conditional on the record's resourceVersion; throws ConflictError when it moved. */
  updatePod(record: PodRecord, next: Pod, write?: PodWrite): Promise<PodRecord>;
  /** Sets spec.nodeName and takes the requests from the node in one transaction. */
  bindPod(record: PodRecord, bound: Pod, node: NodeInfo, requests: PodRequests): Promise<BindOutcome>;
  /**
   * Binds many pods in as few transactions as the store allows: each node's counters change once
   * per transaction, by the sum of its pods there, with those pods' bindings. A transaction is
   * all or nothing; the outcomes follow the order of `bindings`.
   */
  bindPods(bindings: readonly Binding[]): Promise<BatchBindOutcome[]>;
  /**
   * Takes a bound pod off its node (ECS found no room there): clears spec.nodeName, gives the
   * node capacity back, and stores `next` (which says why) in one transaction.
   */
  unbindPod(record: PodRecord, next: Pod, write?: PodWrite): Promise<PodRecord>;
  /** Records a finished pod and gives its node capacity back, once. */
  finishPod(record: PodRecord, next: Pod, write?: PodWrite): Promise<PodRecord>;
  /** Removes the pod and gives back its node capacity if it still holds any. */
  deletePod(record: PodRecord, removal?: PodRemoval): Promise<void>;
  /** The pods bound to a node (deleted ones while their tombstones last), read strongly consistently. */
  listPodsOnNode(nodeName: string): Promise<PodOnNodeEntry[]>;
  /**
   * Unschedulable pods, longest waiting first (at most `limit`), read strongly consistently: a pod
   * marked Unschedulable before the call began is listed.
   */
  listUnschedulable(limit: number): Promise<PodRecord[]>;
  /** Hands an unschedulable pod back to the scheduler; ConflictError if it changed meanwhile. */
  requeuePod(record: PodRecord): Promise<void>;
  /**
   * The scheduling queue's move-request cycle, read strongly consistently: it grows with every
   * requestMove, so an attempt that read it before its nodes can tell whether capacity may have
   * come back since (Kubernetes' moveRequestCycle).
   */
  moveCycle(): Promise<number>;
  /** Starts a new move-request cycle; done by every requeue of waiting pods, before it lists them. */
  requestMove(): Promise<void>;
  /**
   * Takes one tick of a pod's probe loop: true the first time (uid, generation, tick) is claimed,
   * false for a repeat, so a timer message delivered twice does not start a second loop.
   */
  claimProbeTick(uid: string, generation: number, tick: number): Promise<boolean>;
}

/**
 * Why a delayed message wakes the kubelet: a back-off ended, a pull back-off shows, a probe is
 * due, or the pod's activeDeadlineSeconds ran out.
 */
export interface PodTimer {
  /** `requeue`: a pod ECS could not place waited out its back-off and is scheduled again. */
  /** `taint-eviction`: a pod's toleration of a NoExecute taint (tolerationSeconds) ran out. */
  readonly kind: 'restart' | 'image-backoff' | 'probe' | 'deadline' | 'requeue' | 'taint-eviction';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  /** Probe loops count their ticks so repeats are recognised. */
  readonly tick?: number;
  /** A deadline beyond SQS's longest delay hops; this is what is left after this hop. */
  readonly remainingSeconds?: number;
}

/** SQS's longest delay: a timer further away hops. */
export const maxTimerDelaySeconds = 900;

/** Delayed wake-ups (an SQS delay queue on AWS; at most 900 s, SQS's longest delay). */
export interface PodTimers {
  schedule(timer: PodTimer, delaySeconds: number): Promise<void>;
}

export interface NodeStore {
  /** `consistent`: reflects every write acknowledged before the call (the scheduler's view). */
  listNodes(options?: { readonly consistent?: boolean }): Promise<NodeInfo[]>;
  /** `consistent`: reflects every write acknowledged before the call (what an update reads). */
  getNode(name: string, options?: { readonly consistent?: boolean }): Promise<Node | undefined>;
  /**
   * Creates or refreshes a node, keeping what bound pods already take from it. With `previous`,
   * the write is conditioned on it: the resourceVersion of the node it was made from, or null for
   * a node that must not exist yet; a ConflictError says the node moved (node sync merges again).
   */
  putNode(node: Node, allocatable: NodeResources, previous?: string | null): Promise<void>;
  /**
   * Stores the node as an API update made it (what users own: labels, annotations, taints,
   * unschedulable), conditioned on its resourceVersion; ConflictError when it moved. The
   * allocatable and used counters stay as they are.
   */
  updateNode(node: Node): Promise<Node>;
}

export interface NamespaceStore {
  getNamespace(name: string): Promise<Namespace | undefined>;
  listNamespaces(): Promise<Namespace[]>;
  createNamespace(namespace: Namespace): Promise<Namespace>;
  /** Conditional on the namespace's resourceVersion; throws ConflictError when it moved. */
  updateNamespace(namespace: Namespace): Promise<Namespace>;
  deleteNamespace(name: string): Promise<void>;
}

/** Any stored Kubernetes object: the generic store reads only its metadata. */
export interface StoredObject {
  metadata?: ObjectMeta;
}

/**
 * The one store of every resource without an access path of its own, as kube-apiserver's one
 * storage serves every resource by key: objects by resource, namespace ('' when cluster-scoped)
 * and name. Writes are conditioned on the object's metadata.resourceVersion and stamp a new one;
 * every write, deletions included, is in the change index so that the resource can be watched.
 */
export interface ObjectStore {
  /** The object as it is now, read consistently; undefined when it does not exist. */
  getObject<T extends StoredObject>(
    resource: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined>;
  /** The objects of one namespace, or of all (a cluster-scoped resource's: namespace ''). */
  listObjects<T extends StoredObject>(resource: string, namespace?: string): Promise<T[]>;
  /** Writes after a resourceVersion, deletions included, oldest first, as podChangesSince. */
  objectChangesSince<T extends StoredObject>(
    resource: string,
    namespace: string | undefined,
    resourceVersion: number,
    seen?: SeenChange,
  ): Promise<StoredChange<T>[]>;
  /** Throws AlreadyExistsError when the name is taken. */
  createObject<T extends StoredObject>(resource: string, object: T): Promise<T>;
  /** Conditional on metadata.resourceVersion; ConflictError when it moved or the object is gone. */
  updateObject<T extends StoredObject>(resource: string, object: T): Promise<T>;
  /** Removes the object as it was read (conditional as updateObject); returns it as it was. */
  deleteObject<T extends StoredObject>(resource: string, object: T): Promise<T>;
}

export type LaunchResult =
  | { readonly kind: 'launched'; readonly taskArn: string }
  /** ECS refused for a reason that retrying later may fix (throttling, a server error). */
  | { readonly kind: 'retry'; readonly reason: string; readonly throttled?: boolean }
  /**
   * ECS found no room for the task on the pod's node (RunTask `failures[]`: RESOURCE:CPU,
   * RESOURCE:MEMORY, RESOURCE:PORTS, RESOURCE:ENI, AGENT, ...): the pod needs another node.
   */
  | { readonly kind: 'unplaceable'; readonly reason: string }
  /**
   * ECS rejected the request itself (ClientException, InvalidParameterException from
   * RegisterTaskDefinition or RunTask): the same request will never succeed.
   */
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * The few verbs the kubelet needs of a container runtime, after virtual-kubelet's provider
 * interface: ECS on AWS and the ECS simulator locally sit behind the same adapter.
 */
export interface PodRuntime {
  /** Runs the pod's task on the node; idempotent per (pod uid, task generation). */
  launchPod(pod: Pod, node: Node, generation: number): Promise<LaunchResult>;
  /** Stops every task of the pod; returns how many were still running. */
  stopPod(pod: Pod, knownTaskArn: string | undefined, reason: string): Promise<number>;
  describeTasks(taskArns: readonly string[]): Promise<import('./ecs/types').TaskView[]>;
  /** ARNs of the cluster's tasks ECS still wants running. */
  listRunningTasks(): Promise<string[]>;
  listContainerInstances(): Promise<import('./nodes/from-container-instance').ContainerInstanceView[]>;
}

export interface EventStore extends EventRecorder {
  /** Events not yet expired, of one namespace or all. */
  listEvents(namespace?: string): Promise<Event[]>;
  /** Events recorded after a resourceVersion, oldest first, as podChangesSince. */
  eventChangesSince(
    namespace: string | undefined,
    resourceVersion: number,
    seen?: SeenChange,
  ): Promise<StoredChange<Event>[]>;
  /** Removes an event wherever it is kept; watches see it deleted. Nothing when it is gone. */
  deleteEvent(namespace: string, name: string): Promise<void>;
}

/** One line a container wrote, as its log driver shipped it; `timestamp` in epoch milliseconds. */
export interface PodLogEvent {
  readonly timestamp: number;
  readonly message: string;
}

/** Lines of a container's log, oldest first, and where the lines after them start. */
export interface PodLogPage {
  readonly events: readonly PodLogEvent[];
  /**
   * CloudWatch's nextForwardToken: reading from it returns only lines written after this page
   * (the same token comes back while there are none). Absent while the container has no log yet.
   */
  readonly nextToken?: string;
}

/** Where a read starts: the log's first line, its last `lines`, or after an earlier page. */
export type PodLogPosition =
  | { readonly from: 'head' }
  | { readonly from: 'tail'; readonly lines: number }
  | { readonly from: 'token'; readonly token: string };

/** What a container wrote, as `kubectl logs` shows it (CloudWatch Logs, where awslogs ships it). */
export interface PodLogs {
  /**
   * One page of a task's container log, from `position`; with `startTime` (epoch ms) only the
   * lines written at or after it. A container that has written nothing yet reads as an empty page
   * without a token. A tail page holds at most the store's page size (CloudWatch: 10,000 lines).
   */
  read(taskArn: string, container: string, position: PodLogPosition, startTime?: number): Promise<PodLogPage>;
}

/** Bearer tokens by their SHA-256 hash. */
export interface TokenStore {
  getGrant(hash: string): Promise<TokenGrant | undefined>;
  putGrant(hash: string, grant: TokenGrant): Promise<void>;
}
