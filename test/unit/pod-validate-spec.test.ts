import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { validatePod } from '../../functions/core/pod/validate';

// Pod-level fields as pkg/apis/core/validation's ValidatePodSpec and ValidateTolerations report
// them (Kubernetes 1.30).

const pod = (spec: Record<string, unknown>): Pod =>
  ({ metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } }) as Pod;
const error = (field: string, reason: string, message: string) => ({ field, reason, message });

describe('restartPolicy and dnsPolicy', () => {
  it.each(['Always', 'OnFailure', 'Never', ''])(
    'accepts restartPolicy %j (empty is defaulted)',
    (restartPolicy) => {
      expect(validatePod(pod({ restartPolicy }))).toEqual([]);
    },
  );

  it.each(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', ''])('accepts dnsPolicy %j', (dnsPolicy) => {
    expect(validatePod(pod({ dnsPolicy }))).toEqual([]);
  });

  it('rejects an unknown dnsPolicy, listing the supported values in Kubernetes order', () => {
    expect(validatePod(pod({ dnsPolicy: 'ClusterLast' }))).toEqual([
      error(
        'spec.dnsPolicy',
        'FieldValueNotSupported',
        'Unsupported value: "ClusterLast": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      ),
    ]);
  });

  it('accepts dnsPolicy None with a nameserver', () => {
    expect(validatePod(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }))).toEqual([]);
  });

  it('requires dnsConfig with a nameserver for dnsPolicy None', () => {
    expect(validatePod(pod({ dnsPolicy: 'None' }))).toEqual([
      error(
        'spec.dnsConfig',
        'FieldValueRequired',
        'Required value: must provide `dnsConfig` when `dnsPolicy` is None',
      ),
    ]);
    expect(validatePod(pod({ dnsPolicy: 'None', dnsConfig: {} }))).toEqual([
      error(
        'spec.dnsConfig.nameservers',
        'FieldValueRequired',
        'Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
      ),
    ]);
  });
});

describe('activeDeadlineSeconds', () => {
  it.each([1, 3600, 2147483647])('accepts %j', (activeDeadlineSeconds) => {
    expect(validatePod(pod({ activeDeadlineSeconds }))).toEqual([]);
  });

  it.each([0, -5, 2147483648])('rejects %j', (activeDeadlineSeconds) => {
    expect(validatePod(pod({ activeDeadlineSeconds }))).toEqual([
      error(
        'spec.activeDeadlineSeconds',
        'FieldValueInvalid',
        `Invalid value: ${activeDeadlineSeconds}: must be between 1 and 2147483647, inclusive`,
      ),
    ]);
  });
});

describe('nodeSelector', () => {
  it('accepts label keys and values', () => {
    const nodeSelector = {
      'kubernetes.io/os': 'linux',
      'topology.kubernetes.io/zone': 'eu-west-1a',
      disk: '',
    };
    expect(validatePod(pod({ nodeSelector }))).toEqual([]);
  });

  it('rejects keys and values as metadata.labels would, at spec.nodeSelector', () => {
    expect(validatePod(pod({ nodeSelector: { 'node type': 'big box' } }))).toEqual([
      error(
        'spec.nodeSelector',
        'FieldValueInvalid',
        `Invalid value: "node type": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ),
      error(
        'spec.nodeSelector',
        'FieldValueInvalid',
        `Invalid value: "big box": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ),
    ]);
  });
});

describe('names in the spec', () => {
  it('accepts DNS names for nodeName, serviceAccountName, hostname and subdomain', () => {
    expect(
      validatePod(
        pod({
          nodeName: 'ip-10-0-1-5.ec2.internal',
          serviceAccountName: 'builder',
          hostname: 'web-0',
          subdomain: 'web',
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['nodeName', 'Node_1'],
    ['serviceAccountName', 'Builder'],
  ])('rejects %s %j, which is not a DNS subdomain', (key, value) => {
    expect(validatePod(pod({ [key]: value }))).toEqual([
      error(
        `spec.${key}`,
        'FieldValueInvalid',
        `Invalid value: "${value}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ),
    ]);
  });

  it.each([
    ['hostname', 'web.0'],
    ['subdomain', 'Web'],
  ])('rejects %s %j, which is not a DNS label', (key, value) => {
    expect(validatePod(pod({ [key]: value }))).toEqual([
      error(
        `spec.${key}`,
        'FieldValueInvalid',
        `Invalid value: "${value}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ),
    ]);
  });

  it('forbids ephemeral containers on create', () => {
    expect(validatePod(pod({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }))).toEqual([
      error('spec.ephemeralContainers', 'FieldValueForbidden', 'Forbidden: cannot be set on create'),
    ]);
  });
});

describe('tolerations', () => {
  it('accepts Equal with a value, Exists without, an empty key with Exists, and NoExecute seconds', () => {
    const tolerations = [
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'example.com/spot', value: 'true' },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      { operator: 'Exists' },
      { key: 'k', operator: 'Exists', effect: 'PreferNoSchedule' },
    ];
    expect(validatePod(pod({ tolerations }))).toEqual([]);
  });

  it('rejects an empty key unless the operator is Exists', () => {
    expect(validatePod(pod({ tolerations: [{ operator: 'Equal', value: 'x' }] }))).toEqual([
      error(
        'spec.tolerations[0].operator',
        'FieldValueInvalid',
        'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    ]);
  });

  it('rejects a value with operator Exists', () => {
    expect(validatePod(pod({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }))).toEqual([
      error(
        'spec.tolerations[0].operator',
        'FieldValueInvalid',
        `Invalid value: "v": value must be empty when \`operator\` is 'Exists'`,
      ),
    ]);
  });

  it('rejects an unknown operator and effect', () => {
    expect(validatePod(pod({ tolerations: [{ key: 'k', operator: 'In', effect: 'NoRun' }] }))).toEqual([
      error(
        'spec.tolerations[0].operator',
        'FieldValueNotSupported',
        'Unsupported value: "In": supported values: "Equal", "Exists"',
      ),
      error(
        'spec.tolerations[0].effect',
        'FieldValueNotSupported',
        'Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ),
    ]);
  });

  it('rejects tolerationSeconds without effect NoExecute', () => {
    expect(
      validatePod(
        pod({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 60 }] }),
      ),
    ).toEqual([
      error(
        'spec.tolerations[0].effect',
        'FieldValueInvalid',
        `Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
      ),
    ]);
  });

  it('rejects a key that is not a label name and a value that is not a label value', () => {
    const errors = validatePod(
      pod({ tolerations: [{ key: 'bad key', operator: 'Equal', value: 'bad value' }] }),
    );
    expect(errors.map((e) => `${e.field} ${e.reason}`)).toEqual([
      'spec.tolerations[0].key FieldValueInvalid',
      'spec.tolerations[0].operator FieldValueInvalid',
    ]);
    expect(errors[1]?.message).toBe(
      `Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  });
});
