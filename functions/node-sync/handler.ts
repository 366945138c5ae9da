import middy from '@middy/core';
import { fargatePools, podNetworking } from '../adapters/config';
import { observability } from '../commons/middleware';
import { isoNow, runtime, stores } from '../commons/stores';
import { syncNodes } from '../core/controllers/node-sync';
import { requeueUnschedulable } from '../core/controllers/requeue';

/** On a schedule: EC2 container instances become (or refresh) nodes. */
export const handler = middy(async () => {
  const nodes = await syncNodes({
    runtime,
    nodes: stores.nodes,
    now: isoNow,
    fargatePools: fargatePools(),
    networking: podNetworking(),
  });
  // Nodes may have been added or grown; and no pod waits for capacity longer than one period.
  const requeued = await requeueUnschedulable({ pods: stores.pods });
  return { nodes, requeued };
}).use(observability());
