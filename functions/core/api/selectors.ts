import { badRequest } from '../errors';
import type { Pod } from '../k8s';
import type { ApiRequest, ApiResponse } from './http';

type FieldRequirement = { readonly field: string; readonly value: string; readonly equal: boolean };

const podFields: Record<string, (pod: Pod) => string> = {
  'metadata.name': (pod) => pod.metadata?.name ?? '',
  'metadata.namespace': (pod) => pod.metadata?.namespace ?? '',
  'spec.nodeName': (pod) => pod.spec?.nodeName ?? '',
  'spec.restartPolicy': (pod) => pod.spec?.restartPolicy ?? '',
  'spec.schedulerName': (pod) => pod.spec?.schedulerName ?? '',
  'spec.serviceAccountName': (pod) => pod.spec?.serviceAccountName ?? '',
  'spec.hostNetwork': (pod) => String(pod.spec?.hostNetwork ?? false),
  'status.phase': (pod) => pod.status?.phase ?? '',
  'status.podIP': (pod) => pod.status?.podIP ?? '',
  'status.nominatedNodeName': (pod) => pod.status?.nominatedNodeName ?? '',
};

/** `a=b,c!=d` (also `==`), on the fields Kubernetes lets pods be selected by. */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw badRequest(`invalid field selector: "${text}"`);
    const [, field = '', operator, value = ''] = match;
    if (!podFields[field]) throw badRequest(`field label not supported: ${field}`);
    return { field, value, equal: operator !== '!=' };
  });
}

export function matchesFieldSelector(pod: Pod, requirements: readonly FieldRequirement[]): boolean {
  return requirements.every(
    (r) => ((podFields[r.field] as (pod: Pod) => string)(pod) === r.value) === r.equal,
  );
}

export const isWatch = (request: ApiRequest) => request.query.watch === 'true' || request.query.watch === '1';

export type WatchEvent = { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: Pod };

export function watchResponse(events: readonly WatchEvent[]): ApiResponse {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: events.map((event) => `${JSON.stringify(event)}\n`).join(''),
  };
}
