import { AsyncLocalStorage } from 'node:async_hooks';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import type { FunctionDefinition } from '../../functions/wiring';
import type { InvocationHook } from '../lambda';
import type { FaultInjector } from './injector';

/** What the runtime knows about an invocation under way. */
interface Invocation {
  /** Past its deadline: Lambda has frozen it, so nothing it asks for reaches AWS any more. */
  frozen: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();

/** The error the runner reports for a timed-out invocation, in Lambda's words. */
export class LambdaTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`podplane-${name}: Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** The error the runner reports for an injected crash: the work is done, the answer is lost. */
export class InjectedCrashError extends Error {
  constructor(name: string) {
    super(`podplane-${name}: injected crash after the handler returned`);
    this.name = 'InjectedCrash';
  }
}

export interface InvocationFaultOptions {
  /** Functions never faulted (the authorizer: API Gateway answers its failures with 401s). */
  readonly exempt: ReadonlySet<string>;
  /**
   * Real time per simulated second (the control plane's timeScale): an injected timeout is
   * reported after the function's timeout times this, so it does not block a stream for minutes.
   */
  readonly timeScale: number;
}

/**
 * Lambda's runtime as the fault mode sees it. Every invocation has its function's timeout
 * (functions/wiring.ts): past it the runner reports a timeout and the handler is frozen — its
 * next DynamoDB call never returns, as nothing a frozen Lambda sends arrives. Injected faults:
 * `crash` lets the handler finish its work and then reports an error instead of its answer;
 * `timeout` freezes the handler at a random point in its work and reports the timeout.
 */
export function invocationFaults(injector: FaultInjector, options: InvocationFaultOptions): InvocationHook {
  freezeDynamoDbCallsOfFrozenInvocations();
  return async <T>(name: string, definition: FunctionDefinition, call: () => Promise<T>): Promise<T> => {
    if (options.exempt.has(name)) return call();
    const invocation: Invocation = { frozen: false };
    const crash = injector.roll('crash', name);
    const hang = !crash && injector.roll('timeout', name);
    const running = invocations.run(invocation, call);
    const limitMs = definition.timeoutSeconds * 1000;
    if (hang) {
      running.catch(() => undefined);
      // Somewhere in its first tens of milliseconds: before, between or after its writes.
      const freezeAfterMs = injector.random.between(0, 60);
      await new Promise((resolve) => setTimeout(resolve, freezeAfterMs));
      invocation.frozen = true;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, limitMs * options.timeScale - freezeAfterMs)),
      );
      throw new LambdaTimeoutError(name, (limitMs * options.timeScale) / 1000);
    }
    const result = await withinTimeout(running, limitMs, () => {
      invocation.frozen = true;
      return new LambdaTimeoutError(name, definition.timeoutSeconds);
    });
    if (crash) throw new InjectedCrashError(name);
    return result;
  };
}

function withinTimeout<T>(running: Promise<T>, limitMs: number, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), limitMs);
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

let freezing = false;

/**
 * A DynamoDB call made by a frozen invocation never completes. Added to the handlers' shared
 * client from here, as the control plane adds its stream nudge, so the adapters stay unchanged.
 */
function freezeDynamoDbCallsOfFrozenInvocations(): void {
  if (freezing) return;
  freezing = true;
  dynamo().middlewareStack.add(
    (next) => async (args) => {
      if (invocations.getStore()?.frozen) return new Promise<never>(() => undefined);
      return next(args);
    },
    { step: 'initialize', name: 'podplaneFaultFreeze', override: true },
  );
}
