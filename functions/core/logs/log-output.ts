import type { PodLogEvent } from '../ports';

/** kubelet's RFC3339NanoFixed: UTC with all nine digits of the fraction, as `--timestamps` prints it. */
export const rfc3339NanoFixed = (epochMs: number): string =>
  new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/**
 * The text a log request writes: each line ends in a newline and, with `timestamps`, starts with
 * its time and a space, as kubelet writes it. `limitBytes` counts what is written, prefixes
 * included, and cuts the line it falls in, as kubelet's LimitWriter does; then the log is full
 * and a follow ends.
 */
export class LogOutput {
  private remaining: number | undefined;

  constructor(private readonly options: { readonly timestamps: boolean; readonly limitBytes?: number }) {
    this.remaining = options.limitBytes;
  }

  get full(): boolean {
    return this.remaining === 0;
  }

  /** The text of these lines that is still to be written. */
  take(events: readonly PodLogEvent[]): string {
    const text = events
      .map((e) => `${this.options.timestamps ? `${rfc3339NanoFixed(e.timestamp)} ` : ''}${e.message}\n`)
      .join('');
    if (this.remaining === undefined) return text;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= this.remaining) {
      this.remaining -= bytes.length;
      return text;
    }
    // Cut on a character boundary: never half of a UTF-8 sequence.
    let end = this.remaining;
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    this.remaining = 0;
    return bytes.subarray(0, end).toString('utf8');
  }
}
