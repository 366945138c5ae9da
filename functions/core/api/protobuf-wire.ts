import protobuf from 'protobufjs/minimal.js';

/**
 * Protobuf's wire format, read just far enough for Kubernetes objects: the fields of a message by
 * number, length-delimited ones as bytes and varints as numbers (other wire types are skipped).
 */
export type Fields = Map<number, (Uint8Array | number)[]>;

export function readFields(bytes: Uint8Array | undefined): Fields {
  const fields: Fields = new Map();
  if (!bytes) return fields;
  const reader = protobuf.Reader.create(bytes);
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

/** A length-delimited field as a message's bytes. */
export const message = (value: unknown) => (value instanceof Uint8Array ? value : undefined);

/** A length-delimited field as UTF-8 text. */
export const text = (value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : undefined;

/** The named string fields of a message; a field that is absent or empty stays absent. */
export function strings(bytes: Uint8Array | undefined, names: Readonly<Record<number, string>>) {
  const fields = readFields(bytes);
  const out: Record<string, string> = {};
  for (const [number, name] of Object.entries(names)) {
    const value = text(fields.get(Number(number))?.[0]);
    if (value) out[name] = value;
  }
  return out;
}
