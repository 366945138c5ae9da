import { notFound } from '../errors';
import type { Node } from '../k8s';
import type { NodeStore } from '../ports';
import { type ApiRequest, type ApiResponse, json } from './http';
import { wantsTable } from './pod-list';
import { isWatch, matchesLabels, parseLabelSelector } from './selectors';
import { nodeTable, tableJson, withRowObjects } from './tables';
import { listedSource, watch } from './watch';

export async function listNodes(
  request: ApiRequest,
  deps: { nodes: NodeStore; now: () => Date; sleep: (ms: number) => Promise<void> },
): Promise<ApiResponse> {
  const labels = parseLabelSelector(request.query.labelSelector);
  const selected = (node: Node) => matchesLabels(node.metadata?.labels, labels);
  const readAll = async () =>
    (await deps.nodes.listNodes())
      .map((n) => n.node)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (isWatch(request)) {
    // A cluster has few nodes: a watch polls them all (listedSource), as it does namespaces.
    const keyOf = (node: Node) => node.metadata?.name ?? '';
    const resourceVersionOf = (node: Node) => Number(node.metadata?.resourceVersion ?? 0);
    const present = (node: Node) =>
      wantsTable(request) ? withRowObjects(nodeTable([node], deps.now()), request, 'Node') : node;
    return watch(
      request,
      listedSource(readAll, keyOf, resourceVersionOf, deps.now),
      { kind: 'Node', keyOf, resourceVersionOf, selected, present },
      deps,
    );
  }
  const nodes = (await readAll()).filter(selected);
  if (wantsTable(request)) return tableJson(request, 'Node', nodeTable(nodes, deps.now()));
  return json(200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '' }, items: nodes });
}

export async function getNode(
  name: string,
  request: ApiRequest,
  deps: { nodes: NodeStore; now: () => Date },
): Promise<ApiResponse> {
  const node = await deps.nodes.getNode(name);
  if (!node) throw notFound('nodes', name);
  if (wantsTable(request)) return tableJson(request, 'Node', nodeTable([node], deps.now()));
  return json(200, node);
}
