import { message, readFields, strings } from './protobuf-wire';

/**
 * The review objects kubectl sends as Kubernetes protobuf (`kubectl auth can-i` and `whoami` use
 * typed clients), read into the JSON shape the reviews work with; field numbers from k8s.io/api's
 * generated.proto. Each reader gets the object's bytes (runtime.Unknown's `raw`).
 */

// authorization/v1 ResourceAttributes and NonResourceAttributes (selectors are not read).
const resourceAttributeFields = {
  1: 'namespace',
  2: 'verb',
  3: 'group',
  4: 'version',
  5: 'resource',
  6: 'subresource',
  7: 'name',
};
const nonResourceAttributeFields = { 1: 'path', 2: 'verb' };

/** Every review: 1 metadata, 2 spec (a SelfSubjectReview has no spec: 2 is its status). */
const specOf = (object: Uint8Array) => message(readFields(object).get(2)?.[0]);

export const reviewReaders: Readonly<Record<string, (object: Uint8Array) => Record<string, unknown>>> = {
  SelfSubjectReview: () => ({}),
  SelfSubjectAccessReview: (object) => {
    const fields = readFields(specOf(object));
    const resource = message(fields.get(1)?.[0]);
    const nonResource = message(fields.get(2)?.[0]);
    return {
      spec: {
        ...(resource ? { resourceAttributes: strings(resource, resourceAttributeFields) } : {}),
        ...(nonResource ? { nonResourceAttributes: strings(nonResource, nonResourceAttributeFields) } : {}),
      },
    };
  },
  SelfSubjectRulesReview: (object) => ({ spec: strings(specOf(object), { 1: 'namespace' }) }),
};
