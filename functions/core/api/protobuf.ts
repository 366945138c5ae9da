import { ApiError, badRequest } from '../errors';
import { reviewReaders } from './auth-reviews-protobuf';
import { policyReaders } from './policy-protobuf';
import { message, readFields, text } from './protobuf-wire';

/**
 * Kubernetes' protobuf encoding, read just far enough for the request bodies kubectl sends that
 * way: typed clients (`kubectl create namespace`, `kubectl auth can-i`) post built-in kinds as
 * `application/vnd.kubernetes.protobuf`. The body is the magic `k8s\0` and a runtime.Unknown
 * whose `raw` field holds the object; podplane reads a Namespace's metadata (name, generateName,
 * namespace, labels, annotations) and the reviews' specs, and answers in JSON as usual.
 */
export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00];

function stringMap(entries: unknown[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const pair = readFields(message(entry));
      return [text(pair.get(1)?.[0]) ?? '', text(pair.get(2)?.[0]) ?? ''];
    }),
  );
}

function objectMeta(bytes: Uint8Array | undefined): Record<string, unknown> {
  const fields = readFields(bytes);
  const name = text(fields.get(1)?.[0]);
  const generateName = text(fields.get(2)?.[0]);
  const namespace = text(fields.get(3)?.[0]);
  const labels = stringMap(fields.get(11));
  const annotations = stringMap(fields.get(12));
  return {
    ...(name ? { name } : {}),
    ...(generateName ? { generateName } : {}),
    ...(namespace ? { namespace } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** The kinds kubectl's typed clients post as protobuf, each read into its JSON shape. */
const objectReaders: Readonly<Record<string, (object: Uint8Array) => Record<string, unknown>>> = {
  Namespace: (object) => ({ metadata: objectMeta(message(readFields(object).get(1)?.[0])) }),
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
