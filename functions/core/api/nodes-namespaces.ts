import { notFound } from '../errors';
import type { NamespaceStore, NodeStore } from '../ports';
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

export async function listNamespaces(deps: { namespaces: NamespaceStore }): Promise<ApiResponse> {
  const items = await deps.namespaces.listNamespaces();
  return json(200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '' }, items });
}

export async function getNamespace(name: string, deps: { namespaces: NamespaceStore }): Promise<ApiResponse> {
  const namespace = await deps.namespaces.getNamespace(name);
  if (!namespace) throw notFound('namespaces', name);
  return json(200, namespace);
}
