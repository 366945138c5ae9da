import { release } from '../ecs-simulator/container-instances';
import { AwsJsonError, throttling } from '../ecs-simulator/errors';
import type { SimTask } from '../ecs-simulator/model';
import type { OperationHook } from '../ecs-simulator/server';
import type { SimulatorState } from '../ecs-simulator/state';
import { toWireTask } from '../ecs-simulator/wire-task';
import type { FaultInjector } from './injector';

/** A request with this header is never faulted: the chaos checks read ECS through it. */
export const noFaultsHeader = 'x-podplane-no-faults';

/** The calls ECS faults land on: launching, stopping and describing tasks. */
const faultedOperations = new Set(['RunTask', 'StopTask', 'DescribeTasks']);

export interface EcsFaults {
  readonly hook: OperationHook<SimulatorState>;
  /** Tasks that vanished, with the pod uid each was started by. */
  vanished(): ReadonlyMap<string, string>;
}

/**
 * ECS misbehaving, at the simulator's front door:
 * - `ecs-throttle` / `ecs-error`: RunTask, StopTask or DescribeTasks answers ThrottlingException
 *   (HTTP 400) or ServerException (HTTP 500) without doing anything;
 * - `lost-stop`: StopTask answers as if the stop were accepted, and the task runs on;
 * - `vanish`: a task RunTask launched is forgotten a little later while its instance lives, with
 *   no STOPPED event (what an instance's agent losing a container looks like from the API).
 */
export function ecsFaults(injector: FaultInjector): EcsFaults {
  const vanished = new Map<string, string>();
  const drawn = new Set<string>();
  const hook: OperationHook<SimulatorState> = ({ state, operation, request, headers }, run) => {
    if (headers[noFaultsHeader] || !faultedOperations.has(operation)) return run();
    const site = `ecs/${operation}`;
    if (injector.roll('ecs-throttle', site)) throw throttling();
    if (injector.roll('ecs-error', site))
      throw new AwsJsonError('ServerException', 'Service unavailable (injected fault).', 500);
    if (operation === 'StopTask') {
      const task = state.tasks.find(String(request.task ?? ''));
      if (task && task.desiredStatus === 'RUNNING' && injector.roll('lost-stop', site)) {
        state.resolveCluster(request.cluster as string | undefined);
        return { task: { ...toWireTask(task, { includeTags: false }), desiredStatus: 'STOPPED' } };
      }
      return run();
    }
    const result = run();
    if (operation === 'RunTask') {
      for (const launched of (result as { tasks?: { taskArn?: string }[] }).tasks ?? []) {
        const task = state.tasks.find(launched.taskArn ?? '');
        // A clientToken retry returns a task already launched: it had its draw.
        if (!task || drawn.has(task.taskArn)) continue;
        drawn.add(task.taskArn);
        if (!injector.roll('vanish', site)) continue;
        injector.later(
          injector.random.between(200, 5000),
          () => {
            if (vanish(state, task)) vanished.set(task.taskArn, task.startedBy ?? '');
          },
          'cancel',
        );
      }
    }
    return result;
  };
  return { hook, vanished: () => vanished };
}

/**
 * Forgets a task that has not stopped: its timers stop (no more lifecycle, no event), its
 * instance gets its resources back, and ECS no longer knows it. The task store has no removal of
 * its own; it forgets a task whose stop lies far enough back, so the task is given one.
 */
function vanish(state: SimulatorState, task: SimTask): boolean {
  if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'STOPPED') return false;
  if (state.tasks.find(task.taskId) !== task) return false;
  task.timers.cancelAll();
  if (task.containerInstance && task.claim)
    release(task.containerInstance, task.claim, task.startedAt !== undefined);
  task.stoppedAt = Number.NEGATIVE_INFINITY;
  for (const taskId of state.tasks.sweep()) state.logs.forget(taskId);
  return state.tasks.find(task.taskId) === undefined;
}
