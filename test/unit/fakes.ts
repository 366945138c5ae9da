import type { Event } from '../../functions/core/events';
import type { Namespace, Node, Pod, PodSpec } from '../../functions/core/k8s';
import type { PodRequests } from '../../functions/core/pod/requests';
import { podStage } from '../../functions/core/pod/stage';
import {
  AlreadyExistsError,
  type BatchBindOutcome,
  type Binding,
  type BindOutcome,
  ConflictError,
  type EventStore,
  type NamespaceStore,
  type NodeStore,
  type ObjectStore,
  type PodRecord,
  type PodStore,
  type PodTimer,
  type PodTimers,
  type PodWrite,
  type StoredChange,
  type StoredObject,
} from '../../functions/core/ports';
import type { NodeInfo, NodeResources } from '../../functions/core/scheduler/framework';
import { storedPod } from '../fixtures';

/**
 * In-memory stores with the contract of the DynamoDB adapters: every write bumps a
 * resourceVersion (also shown in metadata.resourceVersion), conditional writes on a stale
 * record throw ConflictError, creating a taken name throws AlreadyExistsError, deleted pods
 * linger as tombstones for podChangesSince, and binding takes capacity (and host ports, refused
 * as 'node-full' when one is taken) from the node that finishing or deleting gives back exactly once.
 * A batch binding is one transaction: all of it or none. Every read is strongly consistent.
 */
export interface FakeStores {
  readonly pods: PodStore & {
    /** Puts a pod in the store as if earlier writes had made it so. */
    seed(pod: Pod, extra?: Partial<Omit<PodRecord, 'pod' | 'resourceVersion'>>): PodRecord;
  };
  readonly nodes: NodeStore & { nodeInfo(name: string): NodeInfo | undefined };
  readonly namespaces: NamespaceStore;
  readonly events: EventStore;
  readonly objects: ObjectStore;
}

interface PodEntry {
  record: PodRecord;
  createdRv: number;
  deleted: boolean;
}

const clone = <T>(value: T): T => structuredClone(value);

export function fakeStores(): FakeStores {
  let clock = 0;
  const nextRv = () => ++clock;
  const pods = new Map<string, PodEntry>();
  const nodes = new Map<
    string,
    { node: Node; allocatable: NodeResources; requested: NodeResources; usedHostPorts: string[] }
  >();
  const namespaces = new Map<string, Namespace>();
  const probeTicks = new Map<string, { generation: number; tick: number }>();
  let moveCycle = 0;

  const keyOf = (pod: Pod) => `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
  const stamp = <T extends { metadata?: object }>(object: T, rv: number): T => ({
    ...clone(object),
    metadata: { ...object.metadata, resourceVersion: String(rv) },
  });

  /** The live entry the record was read from, or ConflictError if it moved or went away. */
  const current = (record: PodRecord): PodEntry => {
    const entry = pods.get(keyOf(record.pod));
    if (!entry || entry.deleted || entry.record.resourceVersion !== record.resourceVersion)
      throw new ConflictError();
    return entry;
  };

  const write = (entry: PodEntry, next: Pod, extra: PodWrite & { released?: boolean } = {}): PodRecord => {
    const rv = nextRv();
    const {
      taskArn: _arn,
      taskVersion: _version,
      restartDue: _due,
      specGeneration: _generation,
      ...kept
    } = entry.record;
    const base = extra.clearTask ? kept : entry.record;
    const restartDue = extra.restartDue === null ? undefined : (extra.restartDue ?? entry.record.restartDue);
    entry.record = {
      ...base,
      pod: stamp(next, rv),
      resourceVersion: rv,
      ...(extra.taskArn ? { taskArn: extra.taskArn } : {}),
      ...(extra.taskVersion !== undefined ? { taskVersion: extra.taskVersion } : {}),
      ...(extra.released ? { released: true } : {}),
      ...(extra.taskGeneration !== undefined ? { taskGeneration: extra.taskGeneration } : {}),
      ...(restartDue !== undefined ? { restartDue } : {}),
      ...(extra.backOff ? { backOff: extra.backOff } : {}),
      ...(extra.previousTaskArn ? { previousTaskArn: extra.previousTaskArn } : {}),
      ...(extra.specGeneration !== undefined ? { specGeneration: extra.specGeneration } : {}),
    };
    entry.record = { ...entry.record, stage: podStage(entry.record.pod, entry.record) };
    return clone(entry.record);
  };

  const release = (record: PodRecord): boolean => {
    const nodeName = record.pod.spec?.nodeName;
    const requests = record.boundRequests;
    if (!nodeName || !requests || record.released) return false;
    const node = nodes.get(nodeName);
    if (!node) return false;
    node.requested = {
      cpuMillis: node.requested.cpuMillis - requests.cpuMillis,
      memoryBytes: node.requested.memoryBytes - requests.memoryBytes,
      pods: node.requested.pods - 1,
    };
    const ports = requests.hostPorts ?? [];
    node.usedHostPorts = node.usedHostPorts.filter((p) => !ports.includes(p));
    return true;
  };

  /** Writes a binding whose conditions held: the pod takes its requests from the node. */
  const take = (entry: PodEntry, { bound, node: nodeInfo, requests }: Binding) => {
    const node = nodes.get(nodeInfo.node.metadata?.name ?? '');
    if (!node) throw new Error('binding to a node that is not there');
    node.requested = {
      cpuMillis: node.requested.cpuMillis + requests.cpuMillis,
      memoryBytes: node.requested.memoryBytes + requests.memoryBytes,
      pods: node.requested.pods + 1,
    };
    node.usedHostPorts = [...node.usedHostPorts, ...(requests.hostPorts ?? [])].sort();
    write(entry, bound);
    entry.record = { ...entry.record, boundRequests: { ...requests } };
  };

  const podStore: FakeStores['pods'] = {
    seed(pod, extra = {}) {
      const rv = nextRv();
      const record: PodRecord = {
        released: false,
        taskGeneration: 0,
        ...extra,
        pod: stamp(pod, rv),
        resourceVersion: rv,
      };
      pods.set(keyOf(pod), { record, createdRv: rv, deleted: false });
      return clone(record);
    },

    async getPod(namespace, name) {
      const entry = pods.get(`${namespace}/${name}`);
      return entry && !entry.deleted ? clone(entry.record) : undefined;
    },

    async listPods(namespace) {
      return [...pods.values()]
        .filter(
          (e) => !e.deleted && (namespace === undefined || e.record.pod.metadata?.namespace === namespace),
        )
        .map((e) => clone(e.record.pod));
    },

    async podChangesSince(namespace, resourceVersion, seen) {
      return [...pods.values()]
        .filter((e) => namespace === undefined || e.record.pod.metadata?.namespace === namespace)
        .filter((e) => e.record.resourceVersion > resourceVersion)
        .filter((e) => !seen?.(keyOf(e.record.pod), e.record.resourceVersion))
        .sort((a, b) => a.record.resourceVersion - b.record.resourceVersion)
        .map(
          (e): StoredChange<Pod> => ({
            key: keyOf(e.record.pod),
            written: keyOf(e.record.pod),
            object: clone(e.record.pod),
            resourceVersion: e.record.resourceVersion,
            createdResourceVersion: e.createdRv,
            deleted: e.deleted,
          }),
        );
    },

    async findPodByUid(uid) {
      const entry = [...pods.values()].find((e) => !e.deleted && e.record.pod.metadata?.uid === uid);
      return entry ? clone(entry.record) : undefined;
    },

    async createPod(pod) {
      const existing = pods.get(keyOf(pod));
      if (existing && !existing.deleted) throw new AlreadyExistsError();
      const rv = nextRv();
      const record: PodRecord = {
        pod: stamp(pod, rv),
        resourceVersion: rv,
        released: false,
        taskGeneration: 0,
      };
      pods.set(keyOf(pod), { record, createdRv: rv, deleted: false });
      return clone(record.pod);
    },

    async updatePod(record, next, extra) {
      return write(current(record), next, extra);
    },

    async bindPod(record, bound, nodeInfo, requests: PodRequests): Promise<BindOutcome> {
      const entry = pods.get(keyOf(record.pod));
      if (
        !entry ||
        entry.deleted ||
        entry.record.resourceVersion !== record.resourceVersion ||
        entry.record.pod.spec?.nodeName
      )
        return 'pod-changed';
      const node = nodes.get(nodeInfo.node.metadata?.name ?? '');
      if (
        !node ||
        node.requested.cpuMillis + requests.cpuMillis > node.allocatable.cpuMillis ||
        node.requested.memoryBytes + requests.memoryBytes > node.allocatable.memoryBytes ||
        node.requested.pods + 1 > node.allocatable.pods ||
        (requests.hostPorts ?? []).some((p) => node.usedHostPorts.includes(p))
      )
        return 'node-full';
      take(entry, { record, bound, node: nodeInfo, requests });
      return 'bound';
    },

    async bindPods(bindings): Promise<BatchBindOutcome[]> {
      // One transaction: every pod unchanged and unbound, every node with room for its pods' sum.
      const podOutcome = bindings.map(({ record }): BatchBindOutcome => {
        const entry = pods.get(keyOf(record.pod));
        return !entry ||
          entry.deleted ||
          entry.record.resourceVersion !== record.resourceVersion ||
          entry.record.pod.spec?.nodeName
          ? 'pod-changed'
          : 'cancelled';
      });
      const fullNodes = new Set<string>();
      const byNode = new Map<string, Binding[]>();
      for (const b of bindings) {
        const name = b.node.node.metadata?.name ?? '';
        byNode.set(name, [...(byNode.get(name) ?? []), b]);
      }
      for (const [name, group] of byNode) {
        const node = nodes.get(name);
        const sum = (pick: (r: PodRequests) => number) => group.reduce((t, b) => t + pick(b.requests), 0);
        const ports = group.flatMap((b) => b.requests.hostPorts ?? []);
        if (
          !node ||
          node.requested.cpuMillis + sum((r) => r.cpuMillis) > node.allocatable.cpuMillis ||
          node.requested.memoryBytes + sum((r) => r.memoryBytes) > node.allocatable.memoryBytes ||
          node.requested.pods + group.length > node.allocatable.pods ||
          ports.some((p, i) => node.usedHostPorts.includes(p) || ports.indexOf(p) !== i)
        )
          fullNodes.add(name);
      }
      if (podOutcome.includes('pod-changed') || fullNodes.size > 0)
        return bindings.map((b, i) =>
          podOutcome[i] === 'pod-changed'
            ? 'pod-changed'
            : fullNodes.has(b.node.node.metadata?.name ?? '')
              ? 'node-full'
              : 'cancelled',
        );
      for (const b of bindings) take(pods.get(keyOf(b.record.pod)) as PodEntry, b);
      return bindings.map(() => 'bound');
    },

    async unbindPod(record, next, extra) {
      const entry = current(record);
      if (!entry.record.pod.spec?.nodeName) throw new ConflictError();
      release(entry.record);
      const { boundRequests: _requests, released: _released, ...rest } = entry.record;
      entry.record = { ...rest, released: false };
      return write(entry, next, extra);
    },

    async finishPod(record, next, extra) {
      const entry = current(record);
      const released = release(entry.record);
      return write(entry, next, { ...extra, released });
    },

    async listPodsOnNode(nodeName) {
      return [...pods.values()]
        .filter((e) => e.record.pod.spec?.nodeName === nodeName)
        .map((e) => ({
          namespace: e.record.pod.metadata?.namespace ?? 'default',
          name: e.record.pod.metadata?.name ?? '',
          stage: e.deleted
            ? (e.record.stage ?? 'deleted')
            : (e.record.stage ?? podStage(e.record.pod, e.record)),
          ...(e.record.taskArn ? { taskArn: e.record.taskArn } : {}),
          // As the store reads them: the record of a live pod, none of a tombstone.
          ...(e.deleted ? {} : { record: clone(e.record) }),
        }));
    },

    async listUnschedulable(limit) {
      return [...pods.values()]
        .filter((e) => !e.deleted && e.record.stage === 'unschedulable')
        .slice(0, limit)
        .map((e) => clone(e.record));
    },

    async requeuePod(record) {
      const entry = current(record);
      const rv = nextRv();
      entry.record = {
        ...entry.record,
        pod: stamp(entry.record.pod, rv),
        resourceVersion: rv,
        stage: 'schedule',
      };
    },

    async moveCycle() {
      return moveCycle;
    },

    async requestMove() {
      moveCycle++;
    },

    async claimProbeTick(uid, generation, tick) {
      const last = probeTicks.get(uid);
      if (last && (last.generation > generation || (last.generation === generation && last.tick >= tick)))
        return false;
      probeTicks.set(uid, { generation, tick });
      return true;
    },

    async deletePod(record, removal = {}) {
      const entry = current(record);
      release(entry.record);
      const rv = nextRv();
      entry.record = {
        ...entry.record,
        pod: stamp(removal.pod ?? entry.record.pod, rv),
        resourceVersion: rv,
        released: true,
        deleted: true,
        stage: removal.stopTask ? 'stop' : 'deleted',
      };
      entry.deleted = true;
    },
  };

  const nodeStore: FakeStores['nodes'] = {
    nodeInfo(name) {
      const entry = nodes.get(name);
      return entry ? clone(entry) : undefined;
    },
    async listNodes() {
      return [...nodes.values()].map((n) => clone(n));
    },
    async getNode(name) {
      const entry = nodes.get(name);
      return entry ? clone(entry.node) : undefined;
    },
    async putNode(node, allocatable, previous) {
      const name = node.metadata?.name ?? '';
      const stored = nodes.get(name)?.node.metadata?.resourceVersion;
      if (previous !== undefined && (previous ?? undefined) !== stored) throw new ConflictError();
      const requested = nodes.get(name)?.requested ?? { cpuMillis: 0, memoryBytes: 0, pods: 0 };
      const usedHostPorts = nodes.get(name)?.usedHostPorts ?? [];
      nodes.set(name, {
        node: stamp(node, nextRv()),
        allocatable: { ...allocatable },
        requested,
        usedHostPorts,
      });
    },
    async updateNode(node) {
      const entry = nodes.get(node.metadata?.name ?? '');
      if (!entry || entry.node.metadata?.resourceVersion !== node.metadata?.resourceVersion)
        throw new ConflictError();
      entry.node = stamp(node, nextRv());
      return clone(entry.node);
    },
  };

  const namespaceStore: NamespaceStore = {
    async getNamespace(name) {
      const ns = namespaces.get(name);
      return ns ? clone(ns) : undefined;
    },
    async listNamespaces() {
      return [...namespaces.values()].map((ns) => clone(ns));
    },
    async createNamespace(namespace) {
      const name = namespace.metadata?.name ?? '';
      if (namespaces.has(name)) throw new AlreadyExistsError();
      const stored = stamp(namespace, nextRv());
      namespaces.set(name, stored);
      return clone(stored);
    },
    async updateNamespace(namespace) {
      const name = namespace.metadata?.name ?? '';
      const current = namespaces.get(name);
      if (!current || current.metadata?.resourceVersion !== namespace.metadata?.resourceVersion)
        throw new ConflictError();
      const stored = stamp(namespace, nextRv());
      namespaces.set(name, stored);
      return clone(stored);
    },
    async deleteNamespace(name) {
      namespaces.delete(name);
    },
  };

  const recorded: Event[] = [];
  const deletedEvents: Event[] = [];
  const eventStore: EventStore = {
    async record(event) {
      const index = recorded.findIndex((e) => e.metadata?.name === event.metadata?.name);
      const stored = stamp(event, nextRv());
      if (index === -1) recorded.push(stored);
      else recorded[index] = stored;
    },
    async recordMany(events) {
      for (const event of events) await this.record(event);
    },
    async listEvents(namespace) {
      return recorded.filter((e) => !namespace || e.metadata?.namespace === namespace).map((e) => clone(e));
    },
    async eventChangesSince(namespace, resourceVersion, seen) {
      const key = (e: Event) => `${e.metadata?.namespace}/${e.metadata?.name}`;
      const rv = (e: Event) => Number(e.metadata?.resourceVersion);
      return [...recorded, ...deletedEvents]
        .filter((e) => (!namespace || e.metadata?.namespace === namespace) && rv(e) > resourceVersion)
        .filter((e) => !seen?.(key(e), rv(e)))
        .sort((a, b) => rv(a) - rv(b))
        .map((e) => ({
          key: key(e),
          written: key(e),
          object: clone(e),
          resourceVersion: rv(e),
          deleted: deletedEvents.includes(e),
        }));
    },
    async deleteEvent(namespace, name) {
      const index = recorded.findIndex(
        (e) => e.metadata?.namespace === namespace && e.metadata?.name === name,
      );
      if (index === -1) return;
      const [event] = recorded.splice(index, 1);
      if (event) deletedEvents.push(stamp(event, nextRv()));
    },
  };

  // The generic store: every write kept (deletions as tombstones), so watches read them back.
  const objects = new Map<
    string,
    { object: StoredObject; rv: number; createdRv: number; deleted: boolean }
  >();
  const objectKey = (resource: string, object: StoredObject) =>
    `${resource}|${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  const live = (resource: string, object: StoredObject) => {
    const entry = objects.get(objectKey(resource, object));
    if (!entry || entry.deleted || String(entry.rv) !== object.metadata?.resourceVersion)
      throw new ConflictError();
    return entry;
  };
  const objectStore: ObjectStore = {
    async getObject<T extends StoredObject>(resource: string, namespace: string, name: string) {
      const entry = objects.get(`${resource}|${namespace}/${name}`);
      return entry && !entry.deleted ? (clone(entry.object) as T) : undefined;
    },
    async listObjects<T extends StoredObject>(resource: string, namespace?: string) {
      return [...objects.entries()]
        .filter(([key]) => key.startsWith(`${resource}|${namespace === undefined ? '' : `${namespace}/`}`))
        .filter(([, entry]) => !entry.deleted)
        .map(([, entry]) => clone(entry.object) as T);
    },
    async objectChangesSince<T extends StoredObject>(
      resource: string,
      namespace: string | undefined,
      resourceVersion: number,
      seen?: (written: string, rv: number) => boolean,
    ) {
      return [...objects.entries()]
        .filter(([key]) => key.startsWith(`${resource}|${namespace === undefined ? '' : `${namespace}/`}`))
        .map(([key, entry]) => ({ key: key.slice(resource.length + 1), entry }))
        .filter(({ key, entry }) => entry.rv > resourceVersion && !seen?.(key, entry.rv))
        .sort((a, b) => a.entry.rv - b.entry.rv)
        .map(
          ({ key, entry }): StoredChange<T> => ({
            key,
            written: key,
            object: clone(entry.object) as T,
            resourceVersion: entry.rv,
            createdResourceVersion: entry.createdRv,
            deleted: entry.deleted,
          }),
        );
    },
    async createObject(resource, object) {
      const existing = objects.get(objectKey(resource, object));
      if (existing && !existing.deleted) throw new AlreadyExistsError();
      const rv = nextRv();
      const stored = stamp(object, rv);
      objects.set(objectKey(resource, object), { object: stored, rv, createdRv: rv, deleted: false });
      return clone(stored);
    },
    async updateObject(resource, object) {
      const entry = live(resource, object);
      const rv = nextRv();
      entry.object = stamp(object, rv);
      entry.rv = rv;
      return clone(entry.object) as typeof object;
    },
    async deleteObject(resource, object) {
      const entry = live(resource, object);
      entry.rv = nextRv();
      entry.deleted = true;
      return clone(object);
    },
  };

  return {
    pods: podStore,
    nodes: nodeStore,
    namespaces: namespaceStore,
    events: eventStore,
    objects: objectStore,
  };
}

/** Timers the controllers scheduled, in order, instead of delayed SQS messages. */
export function fakeTimers(): PodTimers & {
  readonly scheduled: { timer: PodTimer; delaySeconds: number }[];
} {
  const scheduled: { timer: PodTimer; delaySeconds: number }[] = [];
  return {
    scheduled,
    async schedule(timer, delaySeconds) {
      scheduled.push({ timer: clone(timer), delaySeconds });
    },
  };
}

/**
 * node-1, with room (4 vCPUs, 8 GiB, 110 pods), and storedPod('web') bound to it at generation 1,
 * with `spec` over its spec and `record` over the record's fields; the seeded record.
 */
export async function seedBoundPod(
  stores: FakeStores,
  options: { spec?: Partial<PodSpec>; record?: Partial<Omit<PodRecord, 'pod' | 'resourceVersion'>> } = {},
): Promise<PodRecord> {
  await stores.nodes.putNode(
    { metadata: { name: 'node-1' } },
    { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 },
  );
  const pod = storedPod('web');
  return stores.pods.seed(
    {
      ...pod,
      metadata: { ...pod.metadata, generation: 1 },
      spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1', ...options.spec },
    },
    options.record,
  );
}
