import type { FilterPlugin } from '../framework';

/** A pod that names its node (spec.nodeName set by the user) fits only there. */
export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(pod, _requests, { node }) {
    const wanted = pod.spec?.nodeName;
    return wanted && wanted !== node.metadata?.name ? ["node(s) didn't match the requested node name"] : [];
  },
};
