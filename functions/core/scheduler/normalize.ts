/** Kubernetes' MaxNodeScore: every plugin's normalized score lies in 0..100. */
export const maxNodeScore = 100;

/**
 * Kubernetes' DefaultNormalizeScore: scales raw scores so the highest becomes 100 (integer
 * division, as in Go); `reverse` turns "fewer is better" counts around. All zero stays zero,
 * or becomes 100 everywhere when reversed.
 */
export function defaultNormalizeScore(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i] as number) > max) max = scores[i] as number;
  if (max === 0) {
    if (reverse) scores.fill(maxNodeScore);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.floor((maxNodeScore * (scores[i] as number)) / max);
    scores[i] = reverse ? maxNodeScore - scaled : scaled;
  }
}
