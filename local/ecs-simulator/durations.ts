/**
 * Durations in the simulator's annotations: a number and a unit, as a human writes them in a pod
 * manifest ("500ms", "2s", "1m", "1.5h"). A bare number is milliseconds.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the text is not a duration (the caller falls back to a default). */
export function parseDurationMs(text: string | undefined): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text ?? '');
  if (!match?.[1]) return undefined;
  const factor = unitMs[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}
