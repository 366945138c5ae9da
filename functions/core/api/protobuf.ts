import { ApiError, badRequest } from '../errors';
import { reviewReaders } from './auth-reviews-protobuf';
import { readDeleteOptions, readObjectMeta } from './meta-protobuf';
import { policyReaders } from './policy-protobuf';
import { message, readFields, text } from './protobuf-wire';

/**
 * Kubernetes' protobuf encoding, read just far enough for the request bodies kubectl sends that
 * way: typed clients (`kubectl create namespace`, `kubectl auth can-i`) post built-in kinds as
 * `application/vnd.kubernetes.protobuf`. The body is the magic `k8s\0` and a runtime.Unknown
 * whose `raw` field holds the object; podplane reads a Namespace's metadata (name, generateName,
 * namespace, labels, annotations), a Binding's target, the reviews' specs and DeleteOptions, and
 * answers in JSON as usual.
 */
export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00];

/**
 * A Binding (what client-go's Bind sends): its metadata with the uid and resourceVersion a
 * scheduler may send as preconditions, and its target ObjectReference (kind 1, name 3).
 */
function binding(object: Uint8Array): Record<string, unknown> {
  const fields = readFields(object);
  const meta = message(fields.get(1)?.[0]);
  const metaFields = readFields(meta);
  const uid = text(metaFields.get(5)?.[0]);
  const resourceVersion = text(metaFields.get(6)?.[0]);
  const target = readFields(message(fields.get(2)?.[0]));
  const kind = text(target.get(1)?.[0]);
  const name = text(target.get(3)?.[0]);
  return {
    metadata: {
      ...readObjectMeta(meta),
      ...(uid ? { uid } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    target: { ...(kind ? { kind } : {}), ...(name ? { name } : {}) },
  };
}

/** The kinds kubectl's typed clients post as protobuf, each read into its JSON shape. */
const objectReaders: Readonly<Record<string, (object: Uint8Array) => Record<string, unknown>>> = {
  Namespace: (object) => ({ metadata: readObjectMeta(message(readFields(object).get(1)?.[0])) }),
  Binding: binding,
  DeleteOptions: readDeleteOptions,
  ...reviewReaders,
  ...policyReaders,
};

/** The object a protobuf request body carries, as the JSON shape the API works with. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || magic.some((byte, i) => body[i] !== byte))
    throw badRequest('the protobuf body does not start with the Kubernetes envelope');
  try {
    const unknown = readFields(body.subarray(4));
    const typeMeta = readFields(message(unknown.get(1)?.[0]));
    const apiVersion = text(typeMeta.get(1)?.[0]);
    const kind = text(typeMeta.get(2)?.[0]) ?? '';
    const read = Object.hasOwn(objectReaders, kind) ? objectReaders[kind] : undefined;
    if (!read) throw badRequest(`protobuf request bodies are not accepted for ${kind}; send JSON`);
    return { apiVersion, kind, ...read(message(unknown.get(2)?.[0]) ?? new Uint8Array()) };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest(
      `the protobuf body could not be decoded: ${error instanceof Error ? error.message : 'invalid'}`,
    );
  }
}
