/**
 * Every timer the simulator starts goes through here, so `stop()` can clear them all and leave
 * no handle that would keep the process alive. Tasks own groups of timers they cancel on stop.
 */
export class Timers {
  /** Simulated milliseconds take `scale` real ones (see the simulator's timeScale). */
  constructor(private readonly scale = 1) {}

  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private stopped = false;

  after(ms: number, run: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const handle = setTimeout(
      () => {
        this.timeouts.delete(handle);
        run();
      },
      Math.max(0, ms * this.scale),
    );
    this.timeouts.add(handle);
    return handle;
  }

  /** Runs after the current I/O turn: used to emit events without delaying the API response. */
  soon(run: () => void): void {
    if (this.stopped) return;
    const handle = setImmediate(() => {
      this.immediates.delete(handle);
      run();
    });
    this.immediates.add(handle);
  }

  cancel(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.timeouts.delete(handle);
  }

  clearAll(): void {
    this.stopped = true;
    for (const handle of this.timeouts) clearTimeout(handle);
    for (const handle of this.immediates) clearImmediate(handle);
    this.timeouts.clear();
    this.immediates.clear();
  }
}

/** The timers that drive one task; cancelled together when the task stops or is replaced. */
export class TimerGroup {
  private readonly handles = new Set<NodeJS.Timeout>();

  constructor(private readonly timers: Timers) {}

  after(ms: number, run: () => void): void {
    const handle = this.timers.after(ms, () => {
      if (handle) this.handles.delete(handle);
      run();
    });
    if (handle) this.handles.add(handle);
  }

  cancelAll(): void {
    for (const handle of this.handles) this.timers.cancel(handle);
    this.handles.clear();
  }
}
