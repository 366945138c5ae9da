import { readDeleteOptions, readObjectMeta } from './meta-protobuf';
import { message, readFields, text } from './protobuf-wire';

/**
 * The policy/v1 objects kubectl sends as Kubernetes protobuf (`kubectl create pdb`, and the
 * evictions and deletions of `kubectl drain`), read into their JSON shape; field numbers from k8s.io/api's and
 * apimachinery's generated.proto. Each reader gets the object's bytes (runtime.Unknown's `raw`);
 * what is read is then decoded and validated as a JSON body would be.
 */

/** intstr.IntOrString: 1 type (0 int, 1 string), 2 intVal, 3 strVal. */
function intOrString(bytes: Uint8Array | undefined): number | string | undefined {
  if (!bytes) return undefined;
  const fields = readFields(bytes);
  return fields.get(1)?.[0] === 1 ? (text(fields.get(3)?.[0]) ?? '') : Number(fields.get(2)?.[0] ?? 0);
}

/** metav1.LabelSelector: 1 matchLabels (map entries), 2 matchExpressions (key, operator, values). */
function labelSelector(bytes: Uint8Array): Record<string, unknown> {
  const fields = readFields(bytes);
  const matchLabels = Object.fromEntries(
    (fields.get(1) ?? []).map((entry) => {
      const pair = readFields(message(entry));
      return [text(pair.get(1)?.[0]) ?? '', text(pair.get(2)?.[0]) ?? ''];
    }),
  );
  const matchExpressions = (fields.get(2) ?? []).map((entry) => {
    const requirement = readFields(message(entry));
    const values = (requirement.get(3) ?? []).map((value) => text(value) ?? '');
    return {
      key: text(requirement.get(1)?.[0]) ?? '',
      operator: text(requirement.get(2)?.[0]) ?? '',
      ...(values.length > 0 ? { values } : {}),
    };
  });
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

export const policyReaders: Readonly<Record<string, (object: Uint8Array) => Record<string, unknown>>> = {
  /** 1 metadata, 2 spec: 1 minAvailable, 2 selector, 3 maxUnavailable, 4 unhealthyPodEvictionPolicy. */
  PodDisruptionBudget: (object) => {
    const fields = readFields(object);
    const spec = readFields(message(fields.get(2)?.[0]));
    const minAvailable = intOrString(message(spec.get(1)?.[0]));
    const selector = message(spec.get(2)?.[0]);
    const maxUnavailable = intOrString(message(spec.get(3)?.[0]));
    const policy = text(spec.get(4)?.[0]);
    return {
      metadata: readObjectMeta(message(fields.get(1)?.[0])),
      spec: {
        ...(minAvailable !== undefined ? { minAvailable } : {}),
        ...(selector ? { selector: labelSelector(selector) } : {}),
        ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
        ...(policy ? { unhealthyPodEvictionPolicy: policy } : {}),
      },
    };
  },
  /** 1 metadata, 2 deleteOptions. */
  Eviction: (object) => {
    const fields = readFields(object);
    const options = message(fields.get(2)?.[0]);
    return {
      metadata: readObjectMeta(message(fields.get(1)?.[0])),
      ...(options ? { deleteOptions: readDeleteOptions(options) } : {}),
    };
  },
};
