import { message, readFields, strings, text } from './protobuf-wire';

/**
 * meta/v1 messages as client-go sends them inside Kubernetes protobuf bodies, read into their
 * JSON shape so the same typed checks apply; field numbers from apimachinery's generated.proto.
 */

/** A map<string, string> field (labels, annotations): each entry 1 key, 2 value. */
function stringMap(entries: unknown[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const pair = readFields(message(entry));
      return [text(pair.get(1)?.[0]) ?? '', text(pair.get(2)?.[0]) ?? ''];
    }),
  );
}

/** ObjectMeta: what a client sets on a create (1 name, 2 generateName, 3 namespace, 11 labels, 12 annotations). */
export function readObjectMeta(bytes: Uint8Array | undefined): Record<string, unknown> {
  const fields = readFields(bytes);
  const labels = stringMap(fields.get(11));
  const annotations = stringMap(fields.get(12));
  return {
    ...strings(bytes, { 1: 'name', 2: 'generateName', 3: 'namespace' }),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/**
 * meta/v1 DeleteOptions as client-go sends it in Kubernetes protobuf (`kubectl delete` and
 * `drain` do), read into its JSON shape so that the same typed checks apply; field numbers from
 * apimachinery's generated.proto: 1 gracePeriodSeconds, 2 preconditions (1 uid, 2
 * resourceVersion), 3 orphanDependents, 4 propagationPolicy, 5 dryRun (repeated). Field 6,
 * ignoreStoreReadErrorWithClusterBreakingPotential, is not read: podplane's JSON schema for
 * DeleteOptions has no such field either (it is for objects etcd cannot decode).
 */
export function readDeleteOptions(object: Uint8Array): Record<string, unknown> {
  const fields = readFields(object);
  const grace = fields.get(1)?.[0];
  const preconditions = message(fields.get(2)?.[0]);
  const orphan = fields.get(3)?.[0];
  const policy = text(fields.get(4)?.[0]);
  const dryRun = (fields.get(5) ?? []).map(text).filter((value) => value !== undefined);
  return {
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    ...(preconditions ? { preconditions: strings(preconditions, { 1: 'uid', 2: 'resourceVersion' }) } : {}),
    ...(typeof orphan === 'number' ? { orphanDependents: orphan !== 0 } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy } : {}),
    ...(dryRun.length > 0 ? { dryRun } : {}),
  };
}
