import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import { ApiError } from '../errors';
import { parseObjectBody } from './body';
import { admitFields } from './decode';
import type { ApiRequest } from './http';
import { dryRunOf, invalidOptions, optionsKindOf, queryInt } from './query';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteRequest {
  readonly gracePeriodSeconds?: number;
  readonly dryRun: boolean;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  /** What becomes of the object's dependents; from orphanDependents when that is what was sent. */
  readonly propagationPolicy?: PropagationPolicy;
  /** orphanDependents was sent as false: a deletion left pending answers 202, as apiserver does. */
  readonly acceptedIfPending?: boolean;
}

const propagationPolicies: readonly string[] = ['Orphan', 'Background', 'Foreground'];

/**
 * A delete's options, where apiserver reads them: a DeleteOptions body when there is one (kubectl
 * and client-go send one), else the query. Types are checked before any value is used (400 as a
 * body that does not decode, or a parameter that does not parse); values apiserver's validation
 * refuses are its 422.
 */
export function deleteOptionsOf(request: ApiRequest): DeleteRequest {
  return deleteRequestOf(
    request.body?.trim()
      ? (admitFields('DeleteOptions', parseObjectBody(request), { ...request, query: {} })
          .object as DeleteOptions)
      : {
          ...(request.query.gracePeriodSeconds !== undefined
            ? { gracePeriodSeconds: queryInt(request, 'gracePeriodSeconds') }
            : {}),
          ...(request.query.dryRun !== undefined ? { dryRun: [request.query.dryRun] } : {}),
          ...(request.query.propagationPolicy !== undefined
            ? { propagationPolicy: request.query.propagationPolicy }
            : {}),
        },
  );
}

/** Decoded DeleteOptions (a delete's, or an eviction's), checked as apiserver's validation does. */
export function deleteRequestOf(options: DeleteOptions): DeleteRequest {
  const dryRun = dryRunOf(options.dryRun, 'DeleteOptions');
  if (options.propagationPolicy !== undefined && !propagationPolicies.includes(options.propagationPolicy))
    throw invalidOptions(
      'DeleteOptions',
      'propagationPolicy',
      `Unsupported value: ${JSON.stringify(options.propagationPolicy)}: supported values: "Background", "Foreground", "Orphan"`,
    );
  if (options.propagationPolicy !== undefined && options.orphanDependents !== undefined)
    throw invalidOptions(
      'DeleteOptions',
      'propagationPolicy',
      'Invalid value: "null": orphanDependents and deletionPropagation cannot be both set',
    );
  const grace = options.gracePeriodSeconds;
  // The deprecated orphanDependents: true orphans, false deletes dependents in the background.
  const policy =
    (options.propagationPolicy as PropagationPolicy | undefined) ??
    (options.orphanDependents === undefined ? undefined : options.orphanDependents ? 'Orphan' : 'Background');
  return {
    dryRun,
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(options.orphanDependents === false ? { acceptedIfPending: true } : {}),
    // apiserver treats a negative grace period as one second.
    ...(grace !== undefined ? { gracePeriodSeconds: grace < 0 ? 1 : grace } : {}),
    ...(options.preconditions ? { preconditions: options.preconditions } : {}),
  };
}

/** DeleteOptions.preconditions against the object as it is now: apiserver's 409 when they differ. */
export function checkPreconditions(
  preconditions: DeleteRequest['preconditions'],
  metadata: { uid?: string; resourceVersion?: string } | undefined,
): void {
  if (preconditions?.uid && preconditions.uid !== metadata?.uid)
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${metadata?.uid ?? ''}`,
    );
  if (preconditions?.resourceVersion && preconditions.resourceVersion !== metadata?.resourceVersion)
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${metadata?.resourceVersion ?? ''}`,
    );
}

/** Whether a write asks for `dryRun=All`: in DeleteOptions for a delete, in the query otherwise. */
export function requestsDryRun(request: ApiRequest): boolean {
  const method = request.method.toUpperCase();
  if (method === 'DELETE') return deleteOptionsOf(request).dryRun;
  if (method === 'GET' || request.query.dryRun === undefined) return false;
  return dryRunOf([request.query.dryRun], optionsKindOf(method));
}
