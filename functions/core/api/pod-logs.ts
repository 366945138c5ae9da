import { ApiError, badRequest, notFound } from '../errors';
import { type FollowDeps, followContainerLog, type LogRequest, readContainerLog } from '../logs/follow';
import { type ApiRequest, type ApiResponse, streamed, text } from './http';
import { podLogOptionsOf } from './pod-log-options';

/**
 * GET pods/{name}/log: plain text, one container (named, or the only one). With `follow`, a
 * stream that ends when the container stops; everything that can be refused is refused first.
 */
export async function readPodLog(
  namespace: string,
  name: string,
  request: ApiRequest,
  deps: FollowDeps & { now: () => Date },
): Promise<ApiResponse> {
  // apiserver validates the options before it looks for the pod.
  const options = podLogOptionsOf(request, name, deps.now());
  const record = await deps.pods.getPod(namespace, name);
  if (!record) throw notFound('pods', name);
  const containers = (record.pod.spec?.containers ?? []).map((c) => c.name);
  const container = options.container ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container)
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
    );
  if (
    !containers.includes(container) &&
    !(record.pod.spec?.initContainers ?? []).some((c) => c.name === container)
  )
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  const logRequest: LogRequest = {
    container,
    timestamps: options.timestamps,
    ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
    ...(options.limitBytes !== undefined ? { limitBytes: options.limitBytes } : {}),
    ...(options.since !== undefined ? { since: options.since } : {}),
  };
  // --previous: the run before this one; a pod keeps its tasks' ARNs for that, as the kubelet
  // keeps one dead container per container. It has stopped, so there is nothing to follow.
  if (options.previous) {
    if (!record.previousTaskArn)
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    return text(200, await readContainerLog(deps.logs, record.previousTaskArn, logRequest));
  }
  if (options.follow)
    return streamed(200, 'text/plain; charset=utf-8', (write, signal) =>
      followContainerLog(record, logRequest, deps, write, signal),
    );
  if (!record.taskArn) {
    const waiting =
      record.pod.status?.containerStatuses?.find((c) => c.name === container)?.state?.waiting?.reason ??
      'ContainerCreating';
    throw new ApiError(
      400,
      'BadRequest',
      `container "${container}" in pod "${name}" is waiting to start: ${waiting}`,
    );
  }
  return text(200, await readContainerLog(deps.logs, record.taskArn, logRequest));
}
