import type { Taint } from 'kubernetes-types/core/v1';
import type { FilterPlugin, ScorePlugin } from '../framework';
import { defaultNormalizeScore } from '../normalize';
import { doNotSchedule, findUntoleratedTaint, tolerationsTolerateTaint } from '../taints';

/**
 * Kubernetes' Filter reason. Since v1.35 (and patch releases of 1.32–1.34, kubernetes#134740)
 * it no longer names the taint — `node(s) had untolerated taint {key: value}` before — because
 * taint keys and values can be sensitive and pod statuses are readable by the pod's users.
 */
export const untoleratedTaintReason = 'node(s) had untolerated taint(s)';
const rejected = [untoleratedTaintReason];

/** Keeps pods off nodes with a NoSchedule or NoExecute taint they do not tolerate. */
export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  preFilter({ tolerations }) {
    return {
      filter: ({ node }) => {
        const taints = node.spec?.taints;
        if (!taints || taints.length === 0) return undefined;
        return findUntoleratedTaint(taints, tolerations, doNotSchedule) ? rejected : undefined;
      },
    };
  },
};

/**
 * Prefers nodes with fewer PreferNoSchedule taints the pod does not tolerate: the count per
 * node, normalized and reversed (no such taint scores 100).
 */
export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  preScore({ tolerations }) {
    // An empty effect tolerates every effect, PreferNoSchedule included.
    const preferNoSchedule = tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return {
      score: ({ node }) => {
        const taints = node.spec?.taints;
        if (!taints) return 0;
        let intolerable = 0;
        for (let i = 0; i < taints.length; i++) {
          const taint = taints[i] as Taint;
          if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(preferNoSchedule, taint))
            intolerable++;
        }
        return intolerable;
      },
      normalize: (scores) => defaultNormalizeScore(scores, true),
    };
  },
};
