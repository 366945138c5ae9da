import { ApiError, badRequest, notFound } from '../errors';
import type { PodLogs, PodStore } from '../ports';
import { type ApiRequest, type ApiResponse, text } from './http';
import { queryBool, queryInt } from './query';

const nonNegative = (request: ApiRequest, name: string): number | undefined => {
  const parsed = queryInt(request, name);
  if (parsed !== undefined && parsed < 0) throw badRequest(`${name} must be a non-negative integer`);
  return parsed;
};

/** GET pods/{name}/log: plain text, one container (named, or the only one). */
export async function readPodLog(
  namespace: string,
  name: string,
  request: ApiRequest,
  deps: { pods: PodStore; logs: PodLogs },
): Promise<ApiResponse> {
  const record = await deps.pods.getPod(namespace, name);
  if (!record) throw notFound('pods', name);
  const containers = (record.pod.spec?.containers ?? []).map((c) => c.name);
  const container = request.query.container ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container)
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
    );
  if (
    !containers.includes(container) &&
    !(record.pod.spec?.initContainers ?? []).some((c) => c.name === container)
  )
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  // --previous: the run before this one; a pod keeps its tasks' ARNs for that, as the kubelet
  // keeps one dead container per container.
  if (queryBool(request, 'previous')) {
    if (!record.previousTaskArn)
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    return text(200, await deps.logs.read(record.previousTaskArn, container, logOptions(request)));
  }
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
  return text(200, await deps.logs.read(record.taskArn, container, logOptions(request)));
}

function logOptions(request: ApiRequest): { tailLines?: number; limitBytes?: number } {
  const tailLines = nonNegative(request, 'tailLines');
  const limitBytes = nonNegative(request, 'limitBytes');
  return {
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}
