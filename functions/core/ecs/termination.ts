/** Completed for exit 0, OOMKilled when ECS says memory ran out, Error otherwise. */
export function terminationReason(exitCode: number, ecsReason: string | undefined): string {
  if (ecsReason?.startsWith('OutOfMemoryError')) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}
