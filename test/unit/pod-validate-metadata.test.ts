import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { validatePod } from '../../functions/core/pod/validate';

// metadata as apimachinery's ValidateObjectMeta reports it (pkg/api/validation/objectmeta.go,
// pkg/apis/meta/v1/validation ValidateLabels, pkg/util/validation IsQualifiedName and
// IsValidLabelValue, Kubernetes 1.30). The message texts below are Kubernetes' own.

const subdomainPattern =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelPattern =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const namePartPattern =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const labelValuePattern =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const withMetadata = (metadata: Record<string, unknown>): Pod =>
  ({ metadata, spec: { containers: [{ name: 'app', image: 'nginx' }] } }) as Pod;
const invalid = (field: string, message: string) => ({ field, reason: 'FieldValueInvalid', message });

describe('metadata.generateName', () => {
  // maskTrailingDash: the random suffix follows, so a trailing '-' is fine.
  it.each(['web-', 'web', 'web.v1-', 'a-'])('accepts the prefix %j', (generateName) => {
    expect(validatePod(withMetadata({ name: 'web-x7k2q', generateName }))).toEqual([]);
  });

  it.each(['Web-', '-web', 'web_'])('rejects the prefix %j', (generateName) => {
    expect(validatePod(withMetadata({ name: 'web-x7k2q', generateName }))).toEqual([
      invalid('metadata.generateName', `Invalid value: "${generateName}": ${subdomainPattern}`),
    ]);
  });

  it('still requires a name when only generateName is given (the API generates it first)', () => {
    expect(validatePod(withMetadata({ generateName: 'web-' }))).toEqual([
      {
        field: 'metadata.name',
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
      },
    ]);
  });
});

describe('metadata.namespace', () => {
  it.each(['default', 'kube-system', 'a'.repeat(63)])('accepts %j', (namespace) => {
    expect(validatePod(withMetadata({ name: 'web', namespace }))).toEqual([]);
  });

  it.each(['Team', 'team.a', 'team_a', '-team'])('rejects %j, which is not a DNS label', (namespace) => {
    expect(validatePod(withMetadata({ name: 'web', namespace }))).toEqual([
      invalid('metadata.namespace', `Invalid value: "${namespace}": ${labelPattern}`),
    ]);
  });

  it('rejects a namespace longer than 63 characters', () => {
    const namespace = 'a'.repeat(64);
    expect(validatePod(withMetadata({ name: 'web', namespace }))).toEqual([
      invalid('metadata.namespace', `Invalid value: "${namespace}": must be no more than 63 characters`),
    ]);
  });
});

describe('metadata.labels', () => {
  it('accepts keys with and without a prefix and values up to 63 characters, or empty', () => {
    const labels = {
      app: 'web',
      'app.kubernetes.io/name': 'Web_1.x',
      'example.com/Tier': '',
      [`${'p'.repeat(253)}/${'n'.repeat(63)}`]: 'v'.repeat(63),
      A1: '9',
    };
    expect(validatePod(withMetadata({ name: 'web', labels }))).toEqual([]);
  });

  it.each([
    ['-app', [namePartPattern]],
    ['app_', [namePartPattern]],
    ['my app', [namePartPattern]],
    ['', ['name part must be non-empty', namePartPattern]],
    ['example.com/', ['name part must be non-empty', namePartPattern]],
    ['/app', ['prefix part must be non-empty']],
    ['Example.com/app', [`prefix part ${subdomainPattern}`]],
    ['n'.repeat(64), ['name part must be no more than 63 characters']],
    [`${'p'.repeat(254)}/app`, ['prefix part must be no more than 253 characters']],
  ])('rejects the key %j', (key, messages) => {
    expect(validatePod(withMetadata({ name: 'web', labels: { [key]: 'x' } }))).toEqual(
      messages.map((message) => invalid('metadata.labels', `Invalid value: "${key}": ${message}`)),
    );
  });

  it('rejects a key with more than one slash as a whole', () => {
    expect(validatePod(withMetadata({ name: 'web', labels: { 'a/b/c': 'x' } }))).toEqual([
      invalid(
        'metadata.labels',
        `Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ),
    ]);
  });

  it.each(['-web', 'web-', 'a b', 'web/1'])('rejects the value %j', (value) => {
    expect(validatePod(withMetadata({ name: 'web', labels: { app: value } }))).toEqual([
      invalid('metadata.labels', `Invalid value: "${value}": ${labelValuePattern}`),
    ]);
  });

  it('rejects a value longer than 63 characters', () => {
    const value = 'v'.repeat(64);
    expect(validatePod(withMetadata({ name: 'web', labels: { app: value } }))).toEqual([
      invalid('metadata.labels', `Invalid value: "${value}": must be no more than 63 characters`),
    ]);
  });

  it('counts the length in UTF-8 bytes, as Go does', () => {
    // 32 two-byte characters are 64 bytes; they also fail the pattern.
    const key = 'é'.repeat(32);
    expect(validatePod(withMetadata({ name: 'web', labels: { [key]: 'x' } }))).toEqual([
      invalid('metadata.labels', `Invalid value: "${key}": name part must be no more than 63 characters`),
      invalid('metadata.labels', `Invalid value: "${key}": ${namePartPattern}`),
    ]);
  });
});

describe('metadata.annotations', () => {
  it('accepts any value and keys whose case does not matter', () => {
    const annotations = {
      'kubernetes.io/Change-Cause': 'kubectl apply -f pod.yaml --record ✓',
      'Example.COM/Note': '{"json": [1, 2]}',
      note: '',
    };
    expect(validatePod(withMetadata({ name: 'web', annotations }))).toEqual([]);
  });

  it('rejects a key that is not a qualified name, reporting the key as given', () => {
    expect(validatePod(withMetadata({ name: 'web', annotations: { 'Bad Key': 'x' } }))).toEqual([
      invalid('metadata.annotations', `Invalid value: "Bad Key": ${namePartPattern}`),
    ]);
  });

  it('accepts keys and values of 262144 bytes in total', () => {
    const annotations = { a: 'x'.repeat(262144 - 1) };
    expect(validatePod(withMetadata({ name: 'web', annotations }))).toEqual([]);
  });

  it('rejects keys and values of more than 262144 bytes in total as too long', () => {
    const annotations = { a: 'x'.repeat(131072), b: 'y'.repeat(131071 - 1), c: 'é' };
    expect(validatePod(withMetadata({ name: 'web', annotations }))).toEqual([
      {
        field: 'metadata.annotations',
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 262144 bytes',
      },
    ]);
  });
});

describe('metadata, all at once', () => {
  it('reports name, namespace, label and annotation problems together, in that order', () => {
    const errors = validatePod(
      withMetadata({ name: 'Web', namespace: 'Team', labels: { app: '-' }, annotations: { '-x': '' } }),
    );
    expect(errors.map((e) => `${e.field} ${e.reason}`)).toEqual([
      'metadata.name FieldValueInvalid',
      'metadata.namespace FieldValueInvalid',
      'metadata.labels FieldValueInvalid',
      'metadata.annotations FieldValueInvalid',
    ]);
  });
});
