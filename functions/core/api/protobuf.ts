import protobuf from 'protobufjs/minimal.js';
import { ApiError, badRequest } from '../errors';

/**
 * Kubernetes' protobuf encoding, read just far enough for the request bodies kubectl sends that
 * way: typed clients (`kubectl create namespace`) post built-in kinds as
 * `application/vnd.kubernetes.protobuf`. The body is the magic `k8s\0` and a runtime.Unknown
 * whose `raw` field holds the object; podplane decodes the object's metadata (name,
 * generateName, namespace, labels, annotations) and answers in JSON as usual.
 */
export const protobufMediaType = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00];

type Fields = Map<number, (Uint8Array | string | number)[]>;

function readFields(bytes: Uint8Array): Fields {
  const reader = protobuf.Reader.create(bytes);
  const fields: Fields = new Map();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    let value: Uint8Array | number;
    if (wireType === 2) value = reader.bytes();
    else if (wireType === 0) value = Number(reader.int64());
    else {
      reader.skipType(wireType);
      continue;
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const text = (value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : undefined;

function stringMap(entries: unknown[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  return Object.fromEntries(
    entries.map((entry) => {
      const pair = readFields(entry as Uint8Array);
      return [text(pair.get(1)?.[0]) ?? '', text(pair.get(2)?.[0]) ?? ''];
    }),
  );
}

function objectMeta(bytes: Uint8Array | undefined): Record<string, unknown> {
  if (!bytes) return {};
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

/** The object a protobuf request body carries, as the JSON shape the API works with. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || magic.some((byte, i) => body[i] !== byte))
    throw badRequest('the protobuf body does not start with the Kubernetes envelope');
  try {
    const unknown = readFields(body.subarray(4));
    const typeMeta = readFields((unknown.get(1)?.[0] as Uint8Array | undefined) ?? new Uint8Array());
    const apiVersion = text(typeMeta.get(1)?.[0]);
    const kind = text(typeMeta.get(2)?.[0]);
    if (kind !== 'Namespace')
      throw badRequest(`protobuf request bodies are accepted for Namespace only, not ${kind}; send JSON`);
    const object = readFields((unknown.get(2)?.[0] as Uint8Array | undefined) ?? new Uint8Array());
    return { apiVersion, kind, metadata: objectMeta(object.get(1)?.[0] as Uint8Array | undefined) };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest(
      `the protobuf body could not be decoded: ${error instanceof Error ? error.message : 'invalid'}`,
    );
  }
}
