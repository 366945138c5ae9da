import { dynamoEventStore } from '../adapters/dynamodb/event-store';
import { dynamoNamespaceStore } from '../adapters/dynamodb/namespace-store';
import { dynamoNodeStore } from '../adapters/dynamodb/node-store';
import { dynamoObjectStore } from '../adapters/dynamodb/object-store';
import { dynamoPodStore } from '../adapters/dynamodb/pod-store';
import { ecsPodRuntime } from '../adapters/ecs/runtime';
import { sqsPodTimers } from '../adapters/sqs/pod-timers';
import { kubernetesTime } from '../core/time';

/** The production adapters every handler wires into the core. */
export const stores = {
  pods: dynamoPodStore,
  nodes: dynamoNodeStore,
  namespaces: dynamoNamespaceStore,
  events: dynamoEventStore,
  objects: dynamoObjectStore,
} as const;
export const runtime = ecsPodRuntime;
export const timers = sqsPodTimers;
export const isoNow = () => kubernetesTime();
