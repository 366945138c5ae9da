/** Kubernetes timestamps are RFC 3339 with whole seconds (metav1.Time), e.g. 2026-01-02T03:04:05Z. */
export function kubernetesTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
