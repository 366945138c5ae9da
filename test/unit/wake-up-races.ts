import { requeueUnschedulable } from '../../functions/core/controllers/requeue';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { EventRecorder } from '../../functions/core/events';
import type { NodeStore, PodRecord, PodStore } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';

/**
 * A release racing a scheduling attempt, step by step. The attempt of a pod that finds no room
 * makes these store calls: read the nodes (alone, as for any batch), then, having found no room,
 * read the move-request cycle and the nodes again, mark the pod Unschedulable, and read the cycle
 * once more. Whoever gives capacity back does three things: the release itself (here a bound pod
 * deleted), a move request, and the requeue of the waiting pods. A plan says before which of the
 * attempt's calls each of the three runs (0 to 4, or 5: after the attempt's fifth call, before
 * any later one or after it ends), so every interleaving of the two is one plan, and each plan
 * runs exactly as written, not as timing happens to fall.
 */
export type RacePlan = readonly [release: number, moveRequest: number, requeue: number];

/** The points a step can run at: before each of the attempt's five calls, or after them. */
const points = 6;

/** Every interleaving: the three steps in their order, each at one of the points. */
export function racePlans(): RacePlan[] {
  const plans: RacePlan[] = [];
  for (let a = 0; a < points; a++)
    for (let b = a; b < points; b++) for (let c = b; c < points; c++) plans.push([a, b, c]);
  return plans;
}

export interface RaceStores {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly events: EventRecorder;
}

const now = () => new Date().toISOString();

/**
 * Runs one plan: `waiter` (unbound, needing what `victim` holds on a full cluster) is scheduled
 * while `victim` is deleted and the waiting pods are requeued. Then, as the table's stream would,
 * a requeued waiter is delivered to a scheduler again. Returns the waiter as it ends.
 */
export async function raceReleaseWithAttempt(
  stores: RaceStores,
  plan: RacePlan,
  names: { readonly victim: string; readonly waiter: string; readonly namespace?: string },
): Promise<PodRecord | undefined> {
  const namespace = names.namespace ?? 'default';
  const read = (name: string) => stores.pods.getPod(namespace, name, true);
  const steps: (() => Promise<unknown>)[] = [
    async () => {
      const victim = await read(names.victim);
      if (!victim) throw new Error(`no pod ${names.victim}`);
      await stores.pods.deletePod(victim);
    },
    () => stores.pods.requestMove(),
    // requeueUnschedulable's own move request is step two, run at its own point of the plan.
    () => requeueUnschedulable({ pods: { ...stores.pods, requestMove: async () => {} } }),
  ];
  let done = 0;
  let calls = 0;
  /** Before the attempt's call number `calls`: the steps the plan puts there. */
  const point = async () => {
    const at = calls++;
    while (done < steps.length && (plan[done] as number) <= at)
      await (steps[done++] as () => Promise<unknown>)();
  };
  const gated =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await point();
      return call(...args);
    };
  const pods: PodStore = {
    ...stores.pods,
    moveCycle: gated(() => stores.pods.moveCycle()),
    updatePod: gated((record, next, write) => stores.pods.updatePod(record, next, write)),
    bindPod: gated((record, bound, node, requests) => stores.pods.bindPod(record, bound, node, requests)),
    bindPods: gated((bindings) => stores.pods.bindPods(bindings)),
  };
  const nodes: NodeStore = {
    ...stores.nodes,
    listNodes: gated((options) => stores.nodes.listNodes(options)),
  };
  const waiter = await read(names.waiter);
  if (!waiter) throw new Error(`no pod ${names.waiter}`);
  const attempt = createScheduler({ pods, nodes, events: stores.events, profile: defaultProfile, now });
  await attempt.schedule(waiter);
  while (done < steps.length) await (steps[done++] as () => Promise<unknown>)();
  // The stream: every write that leaves the waiter unbound in stage `schedule` is delivered.
  for (let deliveries = 0; deliveries < 5; deliveries++) {
    const record = await read(names.waiter);
    if (!record || record.pod.spec?.nodeName || record.stage !== 'schedule') break;
    await createScheduler({ ...stores, profile: defaultProfile, now }).schedule(record);
  }
  return read(names.waiter);
}
