import { SeededRandom } from './random';
import { type FaultKind, type FaultRates, faultKinds } from './spec';

/**
 * Decides when a fault happens and counts each one. Every decision is a draw from one seeded
 * generator, so a run with the same seed draws the same sequence; which call each draw lands on
 * follows the run's interleaving. Disarmed, it injects nothing and draws nothing.
 */
export class FaultInjector {
  readonly random: SeededRandom;
  private readonly counts = new Map<FaultKind, number>();
  private readonly sites = new Map<string, number>();
  private armed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onDisarm = new Set<() => void>();

  constructor(
    readonly rates: FaultRates,
    readonly seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  get isArmed(): boolean {
    return this.armed;
  }

  arm(): void {
    this.armed = true;
  }

  /** No new faults; faults already under way (held or delayed events) are let go at once. */
  disarm(): void {
    this.armed = false;
    for (const release of [...this.onDisarm]) release();
    this.onDisarm.clear();
  }

  /** Whether a fault of this kind happens now; counted when it does. `site` says where. */
  roll(kind: FaultKind, site: string): boolean {
    if (!this.armed) return false;
    const rate = this.rates[kind] ?? 0;
    if (!this.random.chance(rate)) return false;
    this.count(kind, site);
    return true;
  }

  count(kind: FaultKind, site: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const key = `${kind}:${site}`;
    this.sites.set(key, (this.sites.get(key) ?? 0) + 1);
  }

  /** Injected faults by kind, every kind of the spec listed (zero included). */
  injected(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const kind of Object.keys(faultKinds) as FaultKind[])
      if ((this.rates[kind] ?? 0) > 0 || this.counts.has(kind)) result[kind] = this.counts.get(kind) ?? 0;
    return result;
  }

  /** Injected faults by kind and where they happened (`duplicate:stream/kubelet`, ...). */
  injectedBySite(): Record<string, number> {
    return Object.fromEntries([...this.sites].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * Runs `action` after `ms`. When the faults are disarmed first, `atDisarm` says what becomes of
   * it: `run` now (a delayed event is late, not lost) or `cancel` (a fault not yet happened).
   * Cleared by `stop`.
   */
  later(ms: number, action: () => void, atDisarm: 'run' | 'cancel' = 'run'): void {
    let done = false;
    const settle = (runIt: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.timers.delete(timer);
      this.onDisarm.delete(disarmed);
      if (runIt) action();
    };
    const disarmed = () => settle(atDisarm === 'run');
    const timer = setTimeout(() => settle(true), ms);
    this.timers.add(timer);
    this.onDisarm.add(disarmed);
  }

  /** Drops everything still pending: the control plane is stopping. */
  stop(): void {
    this.armed = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.onDisarm.clear();
  }
}
