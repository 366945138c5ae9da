import { badRequest } from '../errors';
import type { Namespace, Node, Pod } from '../k8s';
import type { ApiRequest } from './http';
import { queryBool } from './query';

/** The fields a resource may be selected by, each read as the string the selector compares. */
export type SelectableFields<T> = Readonly<Record<string, (object: T) => string>>;

export const podFields: SelectableFields<Pod> = {
  'metadata.name': (pod) => pod.metadata?.name ?? '',
  'metadata.namespace': (pod) => pod.metadata?.namespace ?? '',
  'spec.nodeName': (pod) => pod.spec?.nodeName ?? '',
  'spec.restartPolicy': (pod) => pod.spec?.restartPolicy ?? '',
  'spec.schedulerName': (pod) => pod.spec?.schedulerName ?? '',
  'spec.serviceAccountName': (pod) => pod.spec?.serviceAccountName ?? '',
  'spec.hostNetwork': (pod) => (pod.spec?.hostNetwork === true ? 'true' : 'false'),
  'status.phase': (pod) => pod.status?.phase ?? '',
  'status.podIP': (pod) => pod.status?.podIP ?? '',
  'status.nominatedNodeName': (pod) => pod.status?.nominatedNodeName ?? '',
};

/** What kube-apiserver's node field selectors read (NodeToSelectableFields). */
export const nodeFields: SelectableFields<Node> = {
  'metadata.name': (node) => node.metadata?.name ?? '',
  'spec.unschedulable': (node) => (node.spec?.unschedulable === true ? 'true' : 'false'),
};

export const namespaceFields: SelectableFields<Namespace> = {
  'metadata.name': (ns) => ns.metadata?.name ?? '',
  'status.phase': (ns) => ns.status?.phase ?? '',
};

type FieldRequirement = { readonly field: string; readonly value: string; readonly equal: boolean };

/** `a=b,c!=d` (also `==`) over the resource's selectable fields. */
export function parseFieldSelector(
  text: string | undefined,
  fields: Readonly<Record<string, unknown>> = podFields,
): FieldRequirement[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw badRequest(`invalid field selector: "${text}"`);
    const [, field = '', operator, value = ''] = match;
    if (!Object.hasOwn(fields, field)) throw badRequest(`field label not supported: ${field}`);
    return { field, value, equal: operator !== '!=' };
  });
}

export function matchesFieldSelector<T>(
  object: T,
  requirements: readonly FieldRequirement[],
  fields: SelectableFields<T> = podFields as unknown as SelectableFields<T>,
): boolean {
  return requirements.every((r) => ((fields[r.field] as (o: T) => string)(object) === r.value) === r.equal);
}

/** The name a field selector pins (`metadata.name=x`), as kubectl's delete and wait use. */
export function selectedName(requirements: readonly FieldRequirement[]): string | undefined {
  return requirements.find((r) => r.field === 'metadata.name' && r.equal)?.value;
}

type LabelRequirement =
  | { readonly key: string; readonly op: 'exists' | '!exists' }
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] };

export type LabelSelector = readonly LabelRequirement[];

const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * Kubernetes' label selector syntax: `app=web`, `tier!=db`, `env in (a,b)`, `env notin (c)`,
 * `gpu`, `!gpu`, comma-separated and AND-ed.
 */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text?.trim()) return [];
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((raw) => {
    const term = raw.trim();
    const fail = (why: string) => badRequest(`unable to parse requirement: ${why}: "${term}"`);
    let match = /^!\s*(\S+)$/.exec(term);
    if (match) return checkKey({ key: match[1] ?? '', op: '!exists' }, fail);
    match = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (match) {
      const values = (match[3] ?? '').split(',').map((v) => v.trim());
      return checkKey({ key: match[1] ?? '', op: match[2] as 'in' | 'notin', values }, fail);
    }
    match = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (match) {
      const op = match[2] === '!=' ? 'notin' : 'in';
      return checkKey({ key: match[1] ?? '', op, values: [match[3] ?? ''] }, fail);
    }
    if (/^\S+$/.test(term)) return checkKey({ key: term, op: 'exists' }, fail);
    throw fail('invalid syntax');
  });
}

function checkKey(requirement: LabelRequirement, fail: (why: string) => Error): LabelRequirement {
  if (!labelKey.test(requirement.key)) throw fail('invalid label key');
  return requirement;
}

export function matchesLabels(
  labels: Readonly<Record<string, string>> | undefined,
  selector: LabelSelector,
): boolean {
  return selector.every((r) => {
    // Own keys only: a selector on `constructor` must not find Object.prototype's.
    const value = labels && Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
      case 'in':
        return value !== undefined && r.values.includes(value);
      default:
        return value === undefined || !r.values.includes(value);
    }
  });
}

/** `watch` as Go's ParseBool reads it: `True` (Python's client) and `1` (client-go) alike. */
export const isWatch = (request: ApiRequest) => queryBool(request, 'watch') === true;
