import { notFound } from '../errors';
import type { NodeStore } from '../ports';
import { type ApiResponse, json } from './http';

export async function listNodes(deps: { nodes: NodeStore }): Promise<ApiResponse> {
  const nodes = (await deps.nodes.listNodes()).map((n) => n.node);
  return json(200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '' }, items: nodes });
}

export async function getNode(name: string, deps: { nodes: NodeStore }): Promise<ApiResponse> {
  const node = await deps.nodes.getNode(name);
  if (!node) throw notFound('nodes', name);
  return json(200, node);
}
