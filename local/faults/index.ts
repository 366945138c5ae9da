import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import type { OperationHook } from '../ecs-simulator/server';
import type { SimulatorState } from '../ecs-simulator/state';
import type { EventDeliveryHook } from '../event-bus';
import type { InvocationHook } from '../lambda';
import { eventDeliveries, queueDuplicates, streamRedelivery } from './deliveries';
import { startDynamoDbFaultProxy } from './dynamodb-proxy';
import { ecsFaults } from './ecs';
import { FaultInjector } from './injector';
import { invocationFaults } from './invocations';
import { type FaultRates, formatFaultRates, parseFaultSpec } from './spec';

export { noFaultsHeader } from './ecs';
export { FaultInjector } from './injector';
export type { FaultKind, FaultRates } from './spec';
export { defaultFaultRates, describeFaultKinds, faultKinds, formatFaultRates, parseFaultSpec } from './spec';

export interface FaultOptions {
  /** `crash=0.05,drop=0.02,...`, `default`, or the rates themselves. */
  readonly spec: string | FaultRates;
  /** Seeds the one generator every fault is drawn from. */
  readonly seed: number;
}

/** What a control plane running with faults lets its user see and steer. */
export interface FaultController {
  readonly seed: number;
  readonly rates: FaultRates;
  /** The spec in canonical form. */
  readonly spec: string;
  arm(): void;
  /** Stops injecting; events held back or delayed are delivered now. */
  disarm(): void;
  readonly armed: boolean;
  /** Injected faults by kind. */
  injected(): Record<string, number>;
  /** Injected faults by kind and place (`crash:kubelet`, `throttle:dynamodb/UpdateItem`, ...). */
  injectedBySite(): Record<string, number>;
  /** Task ARNs that vanished, with the pod uid that started each. */
  vanishedTasks(): ReadonlyMap<string, string>;
}

/** The hooks the control plane wires in, one per part it runs. */
export interface LocalFaults {
  readonly controller: FaultController;
  /** Where the handlers' DynamoDB calls go (a proxy in front of DynamoDB Local). */
  readonly dynamoEndpoint: string;
  readonly ecsOperations: OperationHook<SimulatorState>;
  readonly eventDeliveries: EventDeliveryHook;
  streamRedelivery(functionName: string): (batch: readonly DynamoDBRecord[]) => boolean;
  queueDuplicates(functionName: string): (event: SQSEvent) => boolean;
  /** Call once the handlers' environment is set: it hooks their DynamoDB client. */
  invocations(options: { timeScale: number; exempt: ReadonlySet<string> }): InvocationHook;
  /** Drops pending faults (held events, vanishings to come): the control plane is stopping. */
  dropPending(): void;
  /** Drops pending faults and closes the proxy. */
  stop(): Promise<void>;
}

/**
 * Everything the fault mode injects, outside podplane's code: the runner, the deliveries, a
 * proxy in front of DynamoDB Local and a hook at the ECS simulator's door. Disarmed until `arm`,
 * so the control plane starts cleanly.
 */
export async function startFaults(
  options: FaultOptions,
  dynamoDbLocalEndpoint: string,
): Promise<LocalFaults> {
  const rates = typeof options.spec === 'string' ? parseFaultSpec(options.spec) : options.spec;
  const injector = new FaultInjector(rates, options.seed);
  const proxy = await startDynamoDbFaultProxy(dynamoDbLocalEndpoint, injector);
  const ecs = ecsFaults(injector);
  return {
    controller: {
      seed: options.seed,
      rates,
      spec: formatFaultRates(rates),
      arm: () => injector.arm(),
      disarm: () => injector.disarm(),
      get armed() {
        return injector.isArmed;
      },
      injected: () => injector.injected(),
      injectedBySite: () => injector.injectedBySite(),
      vanishedTasks: () => ecs.vanished(),
    },
    dynamoEndpoint: proxy.endpoint,
    ecsOperations: ecs.hook,
    eventDeliveries: eventDeliveries(injector),
    streamRedelivery: (name) => streamRedelivery(injector, name),
    queueDuplicates: (name) => queueDuplicates(injector, name),
    invocations: (invocationOptions) => invocationFaults(injector, invocationOptions),
    dropPending: () => injector.stop(),
    stop: async () => {
      injector.stop();
      await proxy.stop();
    },
  };
}
