import { type EventTrigger, eventRulePatterns } from '../functions/wiring';
import { matchesPattern, type Pattern } from './event-pattern';
import { sleep } from './processes';

/**
 * Takes over one delivery of an event to a target: the fault mode (local/faults/) calls
 * `deliver` late, twice, after a later event's, or never.
 */
export type EventDeliveryHook = (event: unknown, deliver: () => void) => void;

interface Target {
  readonly pattern: Pattern;
  readonly invoke: (event: unknown) => Promise<unknown>;
}

/**
 * EventBridge on one machine: events matching a rule's pattern invoke its target asynchronously,
 * retried with back-off and then dead-lettered (reported), like an asynchronous Lambda invoke.
 */
export class LocalEventBus {
  private readonly targets: Target[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly onDeadLetter: (event: unknown, error: unknown) => void,
    private readonly retryAttempts = 3,
    private readonly deliveryHook?: EventDeliveryHook,
  ) {}

  /**
   * The trigger's rules, as the stack makes them: `detail` conditions the stack adds (its
   * cluster's ARN) are merged into each of the wiring's patterns.
   */
  addRule(trigger: EventTrigger, detail: Pattern, invoke: (event: unknown) => Promise<unknown>): void {
    for (const rule of eventRulePatterns(trigger)) {
      const pattern = rule as unknown as Pattern;
      this.targets.push({
        pattern: { ...pattern, detail: { ...((pattern.detail as Pattern) ?? {}), ...detail } },
        invoke,
      });
    }
  }

  publish(event: unknown): void {
    for (const target of this.targets) {
      if (!matchesPattern(event, target.pattern)) continue;
      const send = () => {
        const delivery = this.deliver(target, event).finally(() => this.inFlight.delete(delivery));
        this.inFlight.add(delivery);
      };
      if (this.deliveryHook) this.deliveryHook(event, send);
      else send();
    }
  }

  /** Waits for deliveries under way, so a shutdown does not cut a handler off mid-write. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(target: Target, event: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await target.invoke(event);
        return;
      } catch (error) {
        if (attempt >= this.retryAttempts) return this.onDeadLetter(event, error);
        await sleep(100 * 2 ** attempt);
      }
    }
  }
}
