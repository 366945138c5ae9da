import type { Pod } from '../k8s';

const write = /^\/api\/v1\/namespaces\/([a-z0-9][-a-z0-9.]*)\/pods(?:\/([a-z0-9][-a-z0-9.]*)(?:\/status)?)?$/;

/**
 * The pod a request creates, updates or deletes, as far as its method and path say (a create's
 * name is in its body); undefined for reads and for anything but pods.
 */
export function podWrittenBy(method: string, path: string): Pod | undefined {
  const match = write.exec(path);
  if (!match) return undefined;
  const [, namespace, name] = match;
  const writes = name ? ['PUT', 'PATCH', 'DELETE'] : ['POST'];
  if (!writes.includes(method.toUpperCase())) return undefined;
  return { metadata: { namespace, ...(name ? { name } : {}) } };
}
