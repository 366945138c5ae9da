import type { Namespace, Node, Pod } from '../k8s';
import {
  AlreadyExistsError,
  ConflictError,
  type EventStore,
  type NamespaceStore,
  type NodeStore,
  type ObjectStore,
  type PodRecord,
  type PodStore,
  type StoredObject,
} from '../ports';
import type { ApiDeps } from './pods';

/**
 * `dryRun=All`, the way kube-apiserver's DryRunnableStorage does it: the request runs the whole
 * path (decoding, defaulting, admission, validation, preconditions, conflicts), and only the
 * stores change: reads go through, each write checks what the real write would check and
 * answers what it would have stored, but writes nothing. Because the stores are the only way
 * the API reaches DynamoDB, no item, stream record, event or ECS task can follow from a dry run.
 */
export function dryRunDeps<T extends ApiDeps>(deps: T): T {
  const { metrics: _notCounted, ...rest } = deps;
  return {
    ...rest,
    pods: dryRunPods(deps.pods),
    namespaces: dryRunNamespaces(deps.namespaces),
    nodes: dryRunNodes(deps.nodes),
    events: dryRunEvents(deps.events),
    objects: dryRunObjects(deps.objects),
  } as T;
}

const neverFromTheApi = (verb: string) => () => {
  throw new Error(`${verb} is a controller write; the API never calls it, least of all in a dry run`);
};

function dryRunPods(pods: PodStore): PodStore {
  /** The record as it is now; a write based on an older one would lose its condition. */
  const current = async (record: PodRecord) => {
    const name = record.pod.metadata?.name ?? '';
    const now = await pods.getPod(record.pod.metadata?.namespace ?? '', name, true);
    if (!now || now.resourceVersion !== record.resourceVersion) throw new ConflictError();
    return now;
  };
  return {
    getPod: (namespace, name, consistent) => pods.getPod(namespace, name, consistent),
    listPods: (namespace) => pods.listPods(namespace),
    podChangesSince: (namespace, rv, seen) => pods.podChangesSince(namespace, rv, seen),
    findPodByUid: (uid) => pods.findPodByUid(uid),
    listPodsOnNode: (node) => pods.listPodsOnNode(node),
    listUnschedulable: (limit) => pods.listUnschedulable(limit),
    moveCycle: () => pods.moveCycle(),
    async createPod(pod: Pod) {
      if (await pods.getPod(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', true))
        throw new AlreadyExistsError();
      return pod;
    },
    async updatePod(record, next) {
      return { ...(await current(record)), pod: next };
    },
    async deletePod(record) {
      await current(record);
    },
    bindPod: neverFromTheApi('bindPod'),
    bindPods: neverFromTheApi('bindPods'),
    unbindPod: neverFromTheApi('unbindPod'),
    finishPod: neverFromTheApi('finishPod'),
    // A node update that may admit waiting pods hands them back to the scheduler; a dry run's
    // hands back none.
    async requeuePod() {},
    async requestMove() {},
    claimProbeTick: neverFromTheApi('claimProbeTick'),
  };
}

function dryRunNamespaces(namespaces: NamespaceStore): NamespaceStore {
  return {
    getNamespace: (name) => namespaces.getNamespace(name),
    listNamespaces: () => namespaces.listNamespaces(),
    async createNamespace(namespace: Namespace) {
      if (await namespaces.getNamespace(namespace.metadata?.name ?? '')) throw new AlreadyExistsError();
      return namespace;
    },
    async updateNamespace(namespace: Namespace) {
      const now = await namespaces.getNamespace(namespace.metadata?.name ?? '');
      if (now?.metadata?.resourceVersion !== namespace.metadata?.resourceVersion) throw new ConflictError();
      return namespace;
    },
    async deleteNamespace() {},
  };
}

function dryRunNodes(nodes: NodeStore): NodeStore {
  return {
    listNodes: (options) => nodes.listNodes(options),
    getNode: (name, options) => nodes.getNode(name, options),
    putNode: neverFromTheApi('putNode'),
    async updateNode(node: Node) {
      const now = await nodes.getNode(node.metadata?.name ?? '', { consistent: true });
      if (!now || now.metadata?.resourceVersion !== node.metadata?.resourceVersion) throw new ConflictError();
      return node;
    },
  };
}

function dryRunEvents(events: EventStore): EventStore {
  return {
    listEvents: (namespace) => events.listEvents(namespace),
    eventChangesSince: (namespace, rv, seen) => events.eventChangesSince(namespace, rv, seen),
    async record() {},
    async recordMany() {},
    async deleteEvent() {},
  };
}

function dryRunObjects(objects: ObjectStore): ObjectStore {
  /** The object as it is now, at the version the write was conditioned on. */
  const current = async (resource: string, object: StoredObject) => {
    const now = await objects.getObject(
      resource,
      object.metadata?.namespace ?? '',
      object.metadata?.name ?? '',
    );
    if (!now || now.metadata?.resourceVersion !== object.metadata?.resourceVersion) throw new ConflictError();
  };
  return {
    getObject: (resource, namespace, name) => objects.getObject(resource, namespace, name),
    listObjects: (resource, namespace) => objects.listObjects(resource, namespace),
    objectChangesSince: (resource, namespace, rv, seen) =>
      objects.objectChangesSince(resource, namespace, rv, seen),
    async createObject(resource, object) {
      if (await objects.getObject(resource, object.metadata?.namespace ?? '', object.metadata?.name ?? ''))
        throw new AlreadyExistsError();
      return object;
    },
    async updateObject(resource, object) {
      await current(resource, object);
      return object;
    },
    async deleteObject(resource, object) {
      await current(resource, object);
      return object;
    },
  };
}
