import { describe, expect, it } from 'vitest';
import { matchesFieldSelector, parseFieldSelector } from '../../functions/core/api/selectors';
import { ApiError } from '../../functions/core/errors';
import type { Pod } from '../../functions/core/k8s';

// Pod field selectors (pkg/registry/core/pod/strategy.go ToSelectableFields): `=`, `==` and `!=`,
// comma for AND; an unknown field is a 400 BadRequest "field label not supported: <field>".

const pod = (name: string, phase: string, nodeName?: string, namespace = 'default'): Pod => ({
  metadata: { name, namespace },
  spec: {
    containers: [{ name: 'app', image: 'x' }],
    ...(nodeName ? { nodeName } : {}),
    restartPolicy: 'Always',
  },
  status: { phase, ...(nodeName ? { podIP: '10.0.0.7' } : {}) },
});
const pods = [pod('a', 'Running', 'n1'), pod('b', 'Pending'), pod('c', 'Succeeded', 'n2', 'jobs')];
const select = (selector: string | undefined) =>
  pods.filter((p) => matchesFieldSelector(p, parseFieldSelector(selector))).map((p) => p.metadata?.name);

const apiErrorOf = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
};

describe('field selectors', () => {
  it('selects everything when there is no selector', () => {
    expect(select(undefined)).toEqual(['a', 'b', 'c']);
    expect(select('')).toEqual(['a', 'b', 'c']);
  });

  it('selects by metadata.name with = and ==', () => {
    expect(select('metadata.name=b')).toEqual(['b']);
    expect(select('metadata.name==b')).toEqual(['b']);
  });

  it('selects by status.phase with !=', () => {
    expect(select('status.phase!=Running')).toEqual(['b', 'c']);
  });

  it('selects by metadata.namespace', () => {
    expect(select('metadata.namespace=jobs')).toEqual(['c']);
  });

  it('selects unbound pods with an empty spec.nodeName, as the scheduler does', () => {
    expect(select('spec.nodeName=')).toEqual(['b']);
    expect(select('spec.nodeName!=')).toEqual(['a', 'c']);
  });

  it('requires every comma-separated term to hold', () => {
    expect(select('status.phase!=Pending,spec.nodeName=n2')).toEqual(['c']);
    expect(select('status.phase=Running,metadata.name=b')).toEqual([]);
  });

  it('refuses a field pods cannot be selected by with 400 BadRequest', () => {
    const error = apiErrorOf(() => parseFieldSelector('spec.containers=x'));
    expect(error.code).toBe(400);
    expect(error.reason).toBe('BadRequest');
    expect(error.message).toBe('field label not supported: spec.containers');
  });

  it('refuses a term without an operator with 400 BadRequest', () => {
    expect(apiErrorOf(() => parseFieldSelector('metadata.name')).code).toBe(400);
  });

  // ToSelectableFields also offers spec.restartPolicy, spec.schedulerName,
  // spec.serviceAccountName, spec.hostNetwork, status.podIP and status.nominatedNodeName.
  it('supports the other pod fields Kubernetes selects on, such as status.podIP', () => {
    expect(select('status.podIP=10.0.0.7')).toEqual(['a', 'c']);
    expect(select('spec.restartPolicy=Always')).toEqual(['a', 'b', 'c']);
  });
});
