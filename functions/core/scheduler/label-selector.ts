import type { LabelSelector } from 'kubernetes-types/meta/v1';

type Labels = Readonly<Record<string, string>>;

/** A metav1.LabelSelector over pod labels, as labels.Selector behaves. */
export interface PodSelector {
  /** True for a selector with no requirements (labels.Everything()): it matches every pod. */
  readonly empty: boolean;
  matches(labels: Labels): boolean;
}

/** What a nil selector becomes (labels.Nothing()): it matches no pod. */
export const selectNothing: PodSelector = { empty: false, matches: () => false };

const has = (labels: Labels, key: string) => Object.hasOwn(labels, key);

/**
 * metav1.LabelSelectorAsSelector: matchLabels as equalities, matchExpressions with In, NotIn,
 * Exists, DoesNotExist. `alsoEqual` adds equalities (matchLabelKeys), except to a nil selector,
 * which stays Nothing as in Kubernetes' mergeLabelSetWithSelector. A selector Kubernetes would
 * refuse to parse matches nothing here.
 */
export function compileLabelSelector(
  selector: LabelSelector | undefined,
  alsoEqual: Readonly<Record<string, string>> = {},
): PodSelector {
  if (selector === undefined) return selectNothing;
  const checks: ((labels: Labels) => boolean)[] = [];
  const equal = { ...selector.matchLabels, ...alsoEqual };
  // A string equal to a label value can only come from the labels' own properties, so equality
  // and In need no hasOwn check; it is only needed where a missing label matters.
  for (const [key, value] of Object.entries(equal)) checks.push((labels) => labels[key] === value);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const set = new Set(values);
    switch (operator) {
      case 'In':
        if (values.length === 0) return selectNothing;
        checks.push((labels) => set.has(labels[key] as string));
        break;
      case 'NotIn':
        if (values.length === 0) return selectNothing;
        checks.push((labels) => !has(labels, key) || !set.has(labels[key] as string));
        break;
      case 'Exists':
        if (values.length > 0) return selectNothing;
        checks.push((labels) => has(labels, key));
        break;
      case 'DoesNotExist':
        if (values.length > 0) return selectNothing;
        checks.push((labels) => !has(labels, key));
        break;
      default:
        return selectNothing;
    }
  }
  return {
    empty: checks.length === 0,
    matches(labels) {
      for (const check of checks) if (!check(labels)) return false;
      return true;
    },
  };
}
