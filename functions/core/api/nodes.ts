import { notFound } from '../errors';
import type { NodeStore } from '../ports';
import { type ApiRequest, type ApiResponse, json } from './http';
import { wantsTable } from './pod-list';
import { matchesLabels, parseLabelSelector } from './selectors';
import { nodeTable, tableJson } from './tables';

export async function listNodes(
  request: ApiRequest,
  deps: { nodes: NodeStore; now: () => Date },
): Promise<ApiResponse> {
  const labels = parseLabelSelector(request.query.labelSelector);
  const nodes = (await deps.nodes.listNodes())
    .map((n) => n.node)
    .filter((node) => matchesLabels(node.metadata?.labels, labels))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
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
