import type { FilterPlugin, NodeFilter, ScorePlugin } from '../framework';
import { nodeNameField, preferredNodeTerms } from '../node-selector';
import { defaultNormalizeScore } from '../normalize';

/** Kubernetes' ErrReasonPod. */
export const nodeAffinityReason = "node(s) didn't match Pod's node affinity/selector";
/** Kubernetes' errReasonConflict: every required term names a disjoint set of nodes. */
export const nodeAffinityConflict = 'pod affinity terms conflict';
const rejected = [nodeAffinityReason];

/**
 * spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution: terms OR-ed,
 * matchExpressions and matchFields within a term AND-ed. When every term pins node names
 * (matchFields metadata.name In), only those nodes are looked at, as Kubernetes' PreFilter does.
 */
export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  preFilter({ pod, requiredNodeAffinity }) {
    if (requiredNodeAffinity.matchesAll) return {};
    const filter: NodeFilter = ({ node }) => (requiredNodeAffinity.matches(node) ? undefined : rejected);
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (!terms || terms.length === 0) return { filter };
    let nodeNames: Set<string> | undefined;
    for (const term of terms) {
      let termNames: Set<string> | undefined;
      for (const r of term.matchFields ?? []) {
        if (r.key !== nodeNameField || r.operator !== 'In') continue;
        const names = new Set(r.values ?? []);
        termNames = termNames ? new Set([...termNames].filter((n) => names.has(n))) : names;
      }
      // A term that does not pin names admits every node: the terms are OR-ed.
      if (!termNames) return { filter };
      nodeNames = new Set([...(nodeNames ?? []), ...termNames]);
    }
    if (nodeNames && nodeNames.size === 0) return { rejected: nodeAffinityConflict };
    return { filter, nodeNames };
  },
};

/** The summed weights of the preferred terms a node matches, normalized so the best node scores 100. */
export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  preScore({ pod }) {
    const terms = preferredNodeTerms(pod);
    if (terms === undefined) return undefined;
    return {
      score: ({ node }) => {
        let sum = 0;
        for (const term of terms) if (term.matches(node)) sum += term.weight;
        return sum;
      },
      normalize: (scores) => defaultNormalizeScore(scores, false),
    };
  },
};
