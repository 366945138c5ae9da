import type { FilterPlugin } from '../framework';

/** Kubernetes' NodeName ErrReason. */
export const nodeNameReason = "node(s) didn't match the requested node name";
const rejected = [nodeNameReason];

/** A pod that names its node (spec.nodeName set by the user) fits only there. */
export const nodeName: FilterPlugin = {
  name: 'NodeName',
  preFilter({ pod }) {
    const wanted = pod.spec?.nodeName;
    if (!wanted) return {};
    return { filter: ({ node }) => (node.metadata?.name === wanted ? undefined : rejected) };
  },
};
