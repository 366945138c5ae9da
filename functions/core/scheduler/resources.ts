import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { PodRequests } from '../pod/requests';
import { cpuMillis, memoryBytes } from '../quantity';

/** Kubernetes' DefaultMilliCPURequest and DefaultMemoryRequest (pkg/scheduler/util). */
export const defaultMilliCpuRequest = 100;
export const defaultMemoryRequest = 200 * 2 ** 20;

/**
 * The pod's requests as NodeResourcesFit scores them: a container that does not state a cpu or
 * memory request counts as 100m / 200Mi (Kubernetes' NonMissingContainerRequests), so pods that
 * request nothing still spread. A stated "0" stays 0. Sidecars and init containers combine as
 * for the filter (see podRequests).
 */
export function nonZeroRequests(pod: Pod): PodRequests {
  const requestOf = (c: Container): PodRequests => {
    const requests = c.resources?.requests;
    return {
      cpuMillis: requests?.cpu === undefined ? defaultMilliCpuRequest : cpuMillis(requests.cpu),
      memoryBytes: requests?.memory === undefined ? defaultMemoryRequest : memoryBytes(requests.memory),
    };
  };
  let cpu = 0;
  let memory = 0;
  for (const container of pod.spec?.containers ?? []) {
    const r = requestOf(container);
    cpu += r.cpuMillis;
    memory += r.memoryBytes;
  }
  let sidecarCpu = 0;
  let sidecarMemory = 0;
  let initCpu = 0;
  let initMemory = 0;
  for (const init of pod.spec?.initContainers ?? []) {
    const r = requestOf(init);
    if (init.restartPolicy === 'Always') {
      sidecarCpu += r.cpuMillis;
      sidecarMemory += r.memoryBytes;
    } else {
      initCpu = Math.max(initCpu, sidecarCpu + r.cpuMillis);
      initMemory = Math.max(initMemory, sidecarMemory + r.memoryBytes);
    }
  }
  return {
    cpuMillis: Math.max(cpu + sidecarCpu, initCpu),
    memoryBytes: Math.max(memory + sidecarMemory, initMemory),
  };
}
