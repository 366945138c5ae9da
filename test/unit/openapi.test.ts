import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiV3CoreV1, openApiV3Root } from '../../functions/core/api/openapi';
import { buildOpenApiDocument, type OpenApiSchema, openApiPath } from '../../scripts/generate-openapi';

const schemas = openApiV3CoreV1.components.schemas as Record<string, OpenApiSchema>;
const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/** The object schema behind a field: through its allOf wrapper and $ref, as kubectl explain follows them. */
function resolve(schema: OpenApiSchema | undefined): OpenApiSchema {
  const target = schema?.$ref ?? schema?.allOf?.[0]?.$ref;
  if (!target) return schema ?? {};
  const resolved = schemas[refName(target)];
  if (!resolved) throw new Error(`${target} does not resolve`);
  return resolved;
}
const field = (schema: OpenApiSchema, name: string) => {
  const found = resolve(schema).properties?.[name];
  if (!found) throw new Error(`no field ${name}`);
  return found;
};
const kind = (name: string) => schemas[`io.k8s.api.core.v1.${name}`] ?? {};

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

describe('the OpenAPI v3 schemas from kubernetes-types', () => {
  it('are up to date with the installed kubernetes-types (run scripts/generate-openapi.ts)', () => {
    const committed = JSON.parse(readFileSync(openApiPath, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('reach a container image from a Pod, with its description, and require containers', () => {
    const containers = field(field(kind('Pod'), 'spec'), 'containers');
    expect(containers.type).toBe('array');
    const image = field(containers.items ?? {}, 'image');
    expect(image.type).toBe('string');
    expect(image.description).toMatch(/^Container image name\./);
    expect(kind('PodSpec').required).toContain('containers');
    expect(kind('Container').required).toEqual(['name']);
  });

  it('type the special upstream types as kube-apiserver does', () => {
    const container = kind('Container');
    expect(field(field(container, 'resources'), 'limits').additionalProperties).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
    });
    expect(resolve(field(field(field(container, 'livenessProbe'), 'httpGet'), 'port'))).toMatchObject({
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
    });
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(field(kind('ContainerPort'), 'containerPort')).toMatchObject({ type: 'integer', format: 'int32' });
    expect(field(field(kind('Pod'), 'spec'), 'activeDeadlineSeconds')).toMatchObject({
      type: 'integer',
      format: 'int64',
    });
  });

  it('tag every kind podplane serves, and only those, with its group, version and kind', () => {
    const tagged = Object.entries(schemas)
      .filter(([, schema]) => schema['x-kubernetes-group-version-kind'])
      .map(([name, schema]) => [name, schema['x-kubernetes-group-version-kind']]);
    expect(Object.fromEntries(tagged)).toEqual(
      Object.fromEntries([
        ...[
          ...['Event', 'EventList', 'Namespace', 'NamespaceList', 'Node', 'NodeList', 'Pod', 'PodList'].map(
            (k) => `io.k8s.api.core.v1.${k}`,
          ),
          'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
        ].map((name) => [name, [{ group: '', kind: name.split('.').pop(), version: 'v1' }]]),
        ...['PodDisruptionBudget', 'PodDisruptionBudgetList', 'Eviction'].map((kind) => [
          `io.k8s.api.policy.v1.${kind}`,
          [{ group: 'policy', kind, version: 'v1' }],
        ]),
      ]),
    );
  });

  it('resolve every $ref, in the schemas and in the paths', () => {
    const refs = refsIn(openApiV3CoreV1);
    expect(refs.length).toBeGreaterThan(100);
    expect(refs.filter((ref) => !schemas[refName(ref)])).toEqual([]);
  });
});

describe('the served document', () => {
  it('keeps the fieldValidation parameter on PATCH, so kubectl leaves validation to the server', () => {
    const paths = openApiV3CoreV1.paths;
    for (const patch of [
      paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch,
      paths['/api/v1/namespaces/{name}'].patch,
    ]) {
      expect(patch.parameters.map((p) => [p.name, p.in])).toEqual([['fieldValidation', 'query']]);
      expect(patch).not.toHaveProperty('requestBody');
    }
  });

  it('is listed in the root with a hash of its content', () => {
    const hash = createHash('sha512').update(JSON.stringify(openApiV3CoreV1)).digest('hex').toUpperCase();
    expect(openApiV3Root.paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${hash}`);
  });
});
