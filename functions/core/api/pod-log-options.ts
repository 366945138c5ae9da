import { badRequest, type FieldError, invalid } from '../errors';
import { forbidden, invalid as invalidValue } from '../validation/field-errors';
import { parseGoRfc3339 } from './go-time';
import type { ApiRequest } from './http';
import { queryBool, queryInt } from './query';

/** What a pods/{name}/log request asks for, decoded and validated as kube-apiserver does. */
export interface PodLogOptions {
  readonly container?: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** Epoch ms: lines written before it are left out (from sinceSeconds or sinceTime). */
  readonly since?: number;
}

/**
 * The query decoded into PodLogOptions (a parameter that does not parse is a 400, as apiserver's
 * parameter codec fails), then ValidatePodLogOptions' rules: 422 `PodLogOptions "<pod>" is
 * invalid`, every broken rule listed. `sinceSeconds` counts back from `now`.
 */
export function podLogOptionsOf(request: ApiRequest, pod: string, now: Date): PodLogOptions {
  const follow = queryBool(request, 'follow') ?? false;
  const previous = queryBool(request, 'previous') ?? false;
  const timestamps = queryBool(request, 'timestamps') ?? false;
  const tailLines = queryInt(request, 'tailLines');
  const limitBytes = queryInt(request, 'limitBytes');
  const sinceSeconds = queryInt(request, 'sinceSeconds');
  const sinceTime = sinceTimeOf(request.query.sinceTime);
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0)
    errors.push(invalidValue('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1)
    errors.push(invalidValue('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    errors.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1)
    errors.push(invalidValue('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errors.length > 0) throw invalid('PodLogOptions', pod, errors);
  const since = sinceSeconds !== undefined ? Math.max(0, now.getTime() - sinceSeconds * 1000) : sinceTime;
  const { container } = request.query;
  return {
    ...(container ? { container } : {}),
    follow,
    previous,
    timestamps,
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since !== undefined ? { since } : {}),
  };
}

/** metav1.Time's query form: RFC 3339; empty (or an old client's `null`) is no time at all. */
function sinceTimeOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'null') return undefined;
  const parsed = parseGoRfc3339(value);
  if (typeof parsed === 'string') throw badRequest(parsed);
  // CloudWatch keeps milliseconds: a line in the same millisecond but before a finer time is out.
  return Math.max(0, Math.ceil(parsed));
}
