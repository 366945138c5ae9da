import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { admitFields, decodeObject, withWarnings } from '../../functions/core/api/decode';
import { json } from '../../functions/core/api/http';
import { ApiError } from '../../functions/core/errors';
import { schemaKinds, schemaPath } from '../../scripts/generate-object-schema';
import { buildObjectSchemas } from '../../scripts/object-schema';

const request = (fieldValidation?: string) => ({
  method: 'POST',
  path: '/api/v1/namespaces/default/pods',
  headers: {},
  query: fieldValidation ? { fieldValidation } : {},
});

const pod = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'app', image: 'nginx', resources: { limits: { cpu: '1' } }, ports: [{ containerPort: 80 }] },
    ],
    ...extra,
  },
});

describe('the field tree from kubernetes-types', () => {
  it('is up to date with the installed kubernetes-types (run scripts/generate-object-schema.ts)', () => {
    const committed = JSON.parse(readFileSync(schemaPath, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildObjectSchemas(schemaKinds))));
  });
});

describe('decodeObject', () => {
  it('keeps every field a Pod defines, including maps of arbitrary keys', () => {
    const { object, unknown } = decodeObject('Pod', pod({ nodeSelector: { 'kubernetes.io/os': 'linux' } }));
    expect(unknown).toEqual([]);
    expect(object).toEqual(pod({ nodeSelector: { 'kubernetes.io/os': 'linux' } }));
  });

  it('names unknown fields the way strict decoding does, at any depth and list index', () => {
    const input = pod();
    (input.spec.containers[0] as Record<string, unknown>).imagePullPolicyy = 'Always';
    (input as Record<string, unknown>).extra = 1;
    const { object, unknown } = decodeObject('Pod', input);
    expect(unknown.sort()).toEqual(['extra', 'spec.containers[0].imagePullPolicyy']);
    expect(object).toEqual(pod());
  });
});

describe('fieldValidation', () => {
  const withTypo = () => ({ ...pod(), spex: {} });

  it('Strict rejects unknown fields with a 400 naming them', () => {
    try {
      admitFields('Pod', withTypo(), request('Strict'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).toStatus()).toMatchObject({
        code: 400,
        reason: 'BadRequest',
        message:
          'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spex"',
      });
    }
  });

  it('Warn (the default) drops them and says so in a Warning header', () => {
    const { object, warnings } = admitFields('Pod', withTypo(), request());
    expect(object).toEqual(pod());
    expect(warnings).toEqual(['unknown field "spex"']);
    expect(withWarnings(json(201, {}), warnings).headers.warning).toBe('299 - "unknown field \\"spex\\""');
  });

  it('Ignore drops them silently', () => {
    expect(admitFields('Pod', withTypo(), request('Ignore'))).toEqual({ object: pod(), warnings: [] });
  });

  it('refuses a value it does not know', () => {
    expect(() => admitFields('Pod', pod(), request('Loose'))).toThrow(/fieldValidation must be one of/);
  });
});
