import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../functions/core/k8s';
import { isDns1123Label, isDns1123Subdomain, validatePod } from '../../functions/core/pod/validate';

// Field paths, reasons (metav1.CauseType) and message bodies as pkg/apis/core/validation and
// k8s.io/apimachinery/pkg/util/validation/field report them.

const app: Container = { name: 'app', image: 'nginx:1.27' };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}, name: string | null = 'web'): Pod => ({
  metadata: name === null ? {} : { name },
  spec: { containers: [app], ...spec },
});

describe('validatePod', () => {
  it('finds nothing wrong with a valid pod', () => {
    expect(
      validatePod(
        pod({
          restartPolicy: 'OnFailure',
          terminationGracePeriodSeconds: 0,
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'app', image: 'nginx', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
            { name: 'sidecar-2', image: 'envoy', resources: { limits: { cpu: '1', memory: '1Gi' } } },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('requires metadata.name', () => {
    expect(validatePod(pod({}, null))).toEqual([
      {
        field: 'metadata.name',
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
      },
    ]);
    expect(validatePod(pod({}, null))[0]?.message).toMatch(/^Required value/);
  });

  it.each(['Web', 'web_1', '-web', 'web-', 'web..v1'])(
    'rejects %j as a pod name that is not a DNS-1123 subdomain',
    (name) => {
      const errors = validatePod(pod({}, name));
      expect(errors).toEqual([
        expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
      ]);
      expect(errors[0]?.message).toContain(`Invalid value: "${name}": a lowercase RFC 1123 subdomain`);
    },
  );

  it.each(['web', 'web-1', 'web.v1', '1web', 'a'.repeat(253)])('accepts %j as a pod name', (name) => {
    expect(validatePod(pod({}, name))).toEqual([]);
  });

  // IsDNS1123Subdomain checks the length and the pattern separately: 254 letters match the
  // pattern, so the only complaint is the length (MaxLenError).
  it('rejects a pod name longer than 253 characters with the length message alone', () => {
    const name = 'a'.repeat(254);
    expect(validatePod(pod({}, name))).toEqual([
      {
        field: 'metadata.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": must be no more than 253 characters`,
      },
    ]);
  });

  it('requires at least one container', () => {
    expect(validatePod(pod({ containers: [] }))).toEqual([
      { field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
    expect(validatePod({ metadata: { name: 'web' } })).toEqual([
      { field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  });

  it.each(['App', 'my_app', 'a.b', '-app'])('rejects container name %j (not a DNS label)', (name) => {
    const errors = validatePod(pod({ containers: [app, { name, image: 'nginx' }] }));
    expect(errors).toEqual([
      expect.objectContaining({ field: 'spec.containers[1].name', reason: 'FieldValueInvalid' }),
    ]);
    expect(errors[0]?.message).toContain(`Invalid value: "${name}": a lowercase RFC 1123 label`);
  });

  it('rejects a container name longer than 63 characters with the length message alone', () => {
    const name = 'a'.repeat(64);
    expect(validatePod(pod({ containers: [app, { name, image: 'nginx' }] }))).toEqual([
      {
        field: 'spec.containers[1].name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": must be no more than 63 characters`,
      },
    ]);
  });

  it('requires a container name', () => {
    expect(validatePod(pod({ containers: [app, { name: '', image: 'nginx' }] }))).toEqual([
      { field: 'spec.containers[1].name', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  });

  it('reports a duplicate container name at the second occurrence', () => {
    expect(
      validatePod(pod({ containers: [app, { name: 'side', image: 'x' }, { name: 'app', image: 'y' }] })),
    ).toEqual([
      { field: 'spec.containers[2].name', reason: 'FieldValueDuplicate', message: 'Duplicate value: "app"' },
    ]);
  });

  // validateInitContainers seeds its name set with the app containers: names are unique
  // across init and app containers (ECS also needs unique names within a task definition).
  it('reports an init container named like an app container as a duplicate', () => {
    expect(validatePod(pod({ initContainers: [{ name: 'app', image: 'busybox' }] }))).toEqual([
      {
        field: 'spec.initContainers[0].name',
        reason: 'FieldValueDuplicate',
        message: 'Duplicate value: "app"',
      },
    ]);
  });

  it('requires a container image', () => {
    expect(validatePod(pod({ containers: [{ name: 'app' }] }))).toEqual([
      { field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  });

  // validateContainerOnlyForPod: an image of spaces is not empty, so not Required, but it has
  // leading and trailing whitespace.
  it('rejects an image that is only whitespace', () => {
    expect(validatePod(pod({ containers: [{ name: 'app', image: '  ' }] }))).toEqual([
      {
        field: 'spec.containers[0].image',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "  ": must not have leading or trailing whitespace',
      },
    ]);
  });

  it('checks init containers under spec.initContainers', () => {
    expect(validatePod(pod({ initContainers: [{ name: 'Init' }] }))).toEqual([
      expect.objectContaining({ field: 'spec.initContainers[0].name', reason: 'FieldValueInvalid' }),
      expect.objectContaining({ field: 'spec.initContainers[0].image', reason: 'FieldValueRequired' }),
    ]);
  });

  it('rejects an invalid quantity at resources.<kind>[<resource>]', () => {
    const errors = validatePod(
      pod({ containers: [{ name: 'app', image: 'nginx', resources: { limits: { memory: '128MB' } } }] }),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        field: 'spec.containers[0].resources.limits[memory]',
        reason: 'FieldValueInvalid',
      }),
    ]);
    expect(errors[0]?.message).toMatch(/^Invalid value: "128MB": /);
  });

  it('rejects an unknown restartPolicy as not supported, listing the supported values', () => {
    expect(validatePod(pod({ restartPolicy: 'Sometimes' }))).toEqual([
      {
        field: 'spec.restartPolicy',
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      },
    ]);
  });

  it('rejects a negative grace period', () => {
    expect(validatePod(pod({ terminationGracePeriodSeconds: -1 }))).toEqual([
      {
        field: 'spec.terminationGracePeriodSeconds',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
  });

  it('reports every problem at once, not just the first', () => {
    const errors = validatePod({
      metadata: {},
      spec: { restartPolicy: 'Sometimes', containers: [{ name: 'App' }, { name: 'Side', image: 'x' }] },
    });
    expect(errors.map((e) => `${e.field} ${e.reason}`)).toEqual([
      'metadata.name FieldValueRequired',
      'spec.containers[0].name FieldValueInvalid',
      'spec.containers[0].image FieldValueRequired',
      'spec.containers[1].name FieldValueInvalid',
      'spec.restartPolicy FieldValueNotSupported',
    ]);
  });

  // ValidateResourceRequirements: "must be less than or equal to cpu limit of 1", reported on
  // the requests path itself.
  it('rejects a request above its limit', () => {
    const errors = validatePod(
      pod({
        containers: [
          { name: 'app', image: 'nginx', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
        ],
      }),
    );
    expect(errors).toEqual([
      {
        field: 'spec.containers[0].resources.requests',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "2": must be less than or equal to cpu limit of 1',
      },
    ]);
  });

  // ValidateResourceQuantityValue -> ValidateNonnegativeQuantity.
  it('rejects a negative quantity', () => {
    const errors = validatePod(
      pod({ containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '-1' } } }] }),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        field: 'spec.containers[0].resources.requests[cpu]',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "-1": must be greater than or equal to 0',
      }),
    ]);
  });
});

describe('DNS-1123 names', () => {
  it('limits a label to 63 characters and a subdomain to 253', () => {
    expect(isDns1123Label('a'.repeat(63))).toBe(true);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(
      isDns1123Subdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`),
    ).toBe(true);
    expect(isDns1123Subdomain('a'.repeat(254))).toBe(false);
  });

  it('allows dots in a subdomain but not in a label', () => {
    expect(isDns1123Subdomain('web.v1')).toBe(true);
    expect(isDns1123Label('web.v1')).toBe(false);
  });
});
