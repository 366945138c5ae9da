import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { validatePod } from '../../functions/core/pod/validate';

// Containers as pkg/apis/core/validation's validateContainerCommon, validateContainerPorts,
// ValidateEnv and ValidateResourceRequirements report them (Kubernetes 1.30).

const pod = (container: Record<string, unknown>, more: Record<string, unknown> = {}): Pod =>
  ({
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...more },
  }) as Pod;
const at = (field: string) => `spec.containers[0].${field}`;
const error = (field: string, reason: string, message: string) => ({ field: at(field), reason, message });

describe('image', () => {
  it.each(['nginx', 'registry.example.com:5000/team/app:1.2@sha256:abc'])('accepts %j', (image) => {
    expect(validatePod(pod({ image }))).toEqual([]);
  });

  it.each([' nginx', 'nginx\n', '\tnginx', 'nginx\u00a0'])(
    'rejects %j with surrounding whitespace',
    (image) => {
      const errors = validatePod(pod({ image }));
      expect(errors).toEqual([expect.objectContaining({ field: at('image'), reason: 'FieldValueInvalid' })]);
      expect(errors[0]?.message).toMatch(
        /^Invalid value: ".*": must not have leading or trailing whitespace$/,
      );
    },
  );

  it('checks init container images too', () => {
    expect(validatePod(pod({}, { initContainers: [{ name: 'init', image: 'busybox ' }] }))).toEqual([
      {
        field: 'spec.initContainers[0].image',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "busybox ": must not have leading or trailing whitespace',
      },
    ]);
  });
});

describe('imagePullPolicy and terminationMessagePolicy', () => {
  it.each(['Always', 'IfNotPresent', 'Never', ''])(
    'accepts imagePullPolicy %j (empty is defaulted)',
    (policy) => {
      expect(validatePod(pod({ imagePullPolicy: policy }))).toEqual([]);
    },
  );

  it('rejects an unknown imagePullPolicy, listing the supported values', () => {
    expect(validatePod(pod({ imagePullPolicy: 'Sometimes' }))).toEqual([
      error(
        'imagePullPolicy',
        'FieldValueNotSupported',
        'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      ),
    ]);
  });

  it.each(['File', 'FallbackToLogsOnError', ''])('accepts terminationMessagePolicy %j', (policy) => {
    expect(validatePod(pod({ terminationMessagePolicy: policy }))).toEqual([]);
  });

  it('rejects an unknown terminationMessagePolicy', () => {
    expect(validatePod(pod({ terminationMessagePolicy: 'Logs' }))).toEqual([
      error(
        'terminationMessagePolicy',
        'FieldValueNotSupported',
        'Unsupported value: "Logs": supported values: "File", "FallbackToLogsOnError"',
      ),
    ]);
  });
});

describe('ports', () => {
  it('accepts ports with IANA names, any protocol Kubernetes knows, and host ports', () => {
    const ports = [
      { containerPort: 80, name: 'http' },
      { containerPort: 443, name: 'https-2', protocol: 'TCP', hostPort: 8443 },
      { containerPort: 53, name: 'dns', protocol: 'UDP', hostPort: 0 },
      { containerPort: 9999, name: 'a1b2c3d4e5f6g7h', protocol: 'SCTP' },
      { containerPort: 65535 },
      { containerPort: 1, protocol: '' },
    ];
    expect(validatePod(pod({ ports }))).toEqual([]);
  });

  it.each([0, undefined])('requires containerPort (%j)', (containerPort) => {
    expect(validatePod(pod({ ports: [{ containerPort }] }))).toEqual([
      error('ports[0].containerPort', 'FieldValueRequired', 'Required value'),
    ]);
  });

  it.each([65536, -1, 100000])('rejects containerPort %j', (containerPort) => {
    expect(validatePod(pod({ ports: [{ containerPort }] }))).toEqual([
      error(
        'ports[0].containerPort',
        'FieldValueInvalid',
        `Invalid value: ${containerPort}: must be between 1 and 65535, inclusive`,
      ),
    ]);
  });

  it.each([65536, -80])('rejects hostPort %j', (hostPort) => {
    expect(validatePod(pod({ ports: [{ containerPort: 80, hostPort }] }))).toEqual([
      error(
        'ports[0].hostPort',
        'FieldValueInvalid',
        `Invalid value: ${hostPort}: must be between 1 and 65535, inclusive`,
      ),
    ]);
  });

  it('rejects a protocol Kubernetes does not know, listing TCP, UDP and SCTP sorted', () => {
    expect(validatePod(pod({ ports: [{ containerPort: 80, protocol: 'tcp' }] }))).toEqual([
      error(
        'ports[0].protocol',
        'FieldValueNotSupported',
        'Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
      ),
    ]);
  });

  it.each([
    [
      'HTTP',
      [
        'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'must contain at least one letter (a-z)',
      ],
    ],
    ['8080', ['must contain at least one letter (a-z)']],
    ['web--api', ['must not contain consecutive hyphens']],
    ['-web', ['must not begin or end with a hyphen']],
    ['web-', ['must not begin or end with a hyphen']],
    ['abcdefghijklmnop', ['must be no more than 15 characters']],
    ['my_port', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']],
  ])('rejects the port name %j', (name, messages) => {
    expect(validatePod(pod({ ports: [{ containerPort: 80, name }] }))).toEqual(
      messages.map((message) =>
        error('ports[0].name', 'FieldValueInvalid', `Invalid value: "${name}": ${message}`),
      ),
    );
  });

  it('rejects a port name used twice in one container, at the second', () => {
    const ports = [
      { containerPort: 80, name: 'http' },
      { containerPort: 81, name: 'http' },
    ];
    expect(validatePod(pod({ ports }))).toEqual([
      error('ports[1].name', 'FieldValueDuplicate', 'Duplicate value: "http"'),
    ]);
  });

  it('allows the same port name in two containers', () => {
    const spec = {
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, name: 'http' }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 81, name: 'http' }] },
      ],
    };
    expect(validatePod({ metadata: { name: 'web' }, spec } as Pod)).toEqual([]);
  });

  // checkHostPortConflicts: protocol/hostIP/hostPort may be claimed once across the containers.
  it('rejects a host port claimed twice across containers, naming protocol, host IP and port', () => {
    const spec = {
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] },
        {
          name: 'b',
          image: 'x',
          ports: [
            { containerPort: 81, hostPort: 8080, protocol: 'UDP' },
            { containerPort: 82, hostPort: 8080 },
          ],
        },
      ],
    };
    expect(validatePod({ metadata: { name: 'web' }, spec } as Pod)).toEqual([
      {
        field: 'spec.containers[1].ports[1].hostPort',
        reason: 'FieldValueDuplicate',
        message: 'Duplicate value: "TCP//8080"',
      },
    ]);
  });
});

describe('env', () => {
  const envPattern =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

  it('accepts C identifiers, dots and dashes, values, and single-source valueFrom', () => {
    const env = [
      { name: 'PATH', value: '/bin' },
      { name: 'my.env-name', value: '' },
      { name: '_x1' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'TIER', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['tier']" } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CONF', valueFrom: { configMapKeyRef: { name: 'settings', key: 'app.conf' } } },
      { name: 'TOKEN', value: '', valueFrom: { secretKeyRef: { name: 'creds', key: 'TOKEN' } } },
    ];
    expect(validatePod(pod({ env }))).toEqual([]);
  });

  it('requires a name', () => {
    expect(validatePod(pod({ env: [{ name: '', value: 'x' }, { value: 'y' }] }))).toEqual([
      error('env[0].name', 'FieldValueRequired', 'Required value'),
      error('env[1].name', 'FieldValueRequired', 'Required value'),
    ]);
  });

  it.each(['1ABC', 'MY VAR', 'A=B', 'ÄPFEL'])('rejects the name %j', (name) => {
    expect(validatePod(pod({ env: [{ name, value: 'x' }] }))).toEqual([
      error('env[0].name', 'FieldValueInvalid', `Invalid value: "${name}": ${envPattern}`),
    ]);
  });

  it.each([
    ['.', "must not be '.'"],
    ['..', "must not be '..'"],
    ['..A', "must not start with '..'"],
  ])('rejects the name %j, which a shell would read as a directory', (name, message) => {
    expect(validatePod(pod({ env: [{ name }] }))).toEqual([
      error('env[0].name', 'FieldValueInvalid', `Invalid value: "${name}": ${message}`),
    ]);
  });

  it('rejects value and valueFrom together', () => {
    const env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
    expect(validatePod(pod({ env }))).toEqual([
      error(
        'env[0].valueFrom',
        'FieldValueInvalid',
        'Invalid value: "": may not be specified when `value` is not empty',
      ),
    ]);
  });

  it('rejects a valueFrom with no source', () => {
    expect(validatePod(pod({ env: [{ name: 'A', valueFrom: {} }] }))).toEqual([
      error(
        'env[0].valueFrom',
        'FieldValueInvalid',
        'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    ]);
  });

  it('rejects a valueFrom with two sources', () => {
    const valueFrom = { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } };
    expect(validatePod(pod({ env: [{ name: 'A', valueFrom }] }))).toEqual([
      error(
        'env[0].valueFrom',
        'FieldValueInvalid',
        'Invalid value: "": may not have more than one field specified at a time',
      ),
    ]);
  });

  it('rejects a downward API field an environment variable cannot take', () => {
    expect(
      validatePod(pod({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] })),
    ).toEqual([
      error(
        'env[0].valueFrom.fieldRef.fieldPath',
        'FieldValueNotSupported',
        'Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ),
    ]);
  });

  it('rejects a field path the downward API does not know', () => {
    expect(
      validatePod(pod({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.image' } } }] })),
    ).toEqual([
      error(
        'env[0].valueFrom.fieldRef.fieldPath',
        'FieldValueInvalid',
        'Invalid value: "spec.image": error converting fieldPath: field label not supported: spec.image',
      ),
    ]);
  });

  it('requires the key of a configMapKeyRef', () => {
    expect(
      validatePod(pod({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm' } } }] })),
    ).toEqual([error('env[0].valueFrom.configMapKeyRef.key', 'FieldValueRequired', 'Required value')]);
  });
});

describe('resources', () => {
  const withResources = (resources: Record<string, unknown>) => pod({ resources });

  it('accepts cpu, memory, ephemeral-storage, huge pages and extended resources', () => {
    const resources = {
      limits: {
        cpu: '2',
        memory: '1Gi',
        'ephemeral-storage': '10Gi',
        'hugepages-2Mi': '4Mi',
        'example.com/gpu': 1,
      },
      requests: { cpu: '500m', memory: '512Mi', 'hugepages-2Mi': '4Mi', 'example.com/gpu': '1' },
    };
    expect(validatePod(withResources(resources))).toEqual([]);
  });

  it.each([
    [
      'gpu',
      ['must be a standard resource type or fully qualified', 'must be a standard resource for containers'],
    ],
    ['pods', ['must be a standard resource for containers']],
    ['requests.cpu', ['must be a standard resource for containers']],
  ])('rejects the unqualified resource name %j', (name, messages) => {
    expect(validatePod(withResources({ limits: { [name]: '1' } }))).toEqual(
      messages.map((message) =>
        error(`resources.limits[${name}]`, 'FieldValueInvalid', `Invalid value: "${name}": ${message}`),
      ),
    );
  });

  it('rejects a prefixed name that is not an extended resource name', () => {
    expect(validatePod(withResources({ limits: { 'example.com/requests.gpu/x': '1' } }))).toEqual([
      expect.objectContaining({
        field: at('resources.limits[example.com/requests.gpu/x]'),
        reason: 'FieldValueInvalid',
      }),
      error(
        'resources.limits[example.com/requests.gpu/x]',
        'FieldValueInvalid',
        `Invalid value: "example.com/requests.gpu/x": doesn't follow extended resource name standard`,
      ),
    ]);
  });

  it('rejects an extended resource requested at something other than its limit', () => {
    const resources = { limits: { 'example.com/gpu': '2' }, requests: { 'example.com/gpu': '1' } };
    expect(validatePod(withResources(resources))).toEqual([
      error(
        'resources.requests',
        'FieldValueInvalid',
        'Invalid value: "1": must be equal to example.com/gpu limit of 2',
      ),
    ]);
  });

  it('rejects an extended resource requested without a limit', () => {
    expect(validatePod(withResources({ requests: { 'example.com/gpu': '1' } }))).toEqual([
      error(
        'resources.limits',
        'FieldValueRequired',
        'Required value: Limit must be set for non overcommitable resources',
      ),
    ]);
  });

  it('rejects a fraction of an extended resource', () => {
    expect(validatePod(withResources({ limits: { 'example.com/gpu': '500m' } }))).toEqual([
      error(
        'resources.limits[example.com/gpu]',
        'FieldValueInvalid',
        'Invalid value: 500m: must be an integer',
      ),
    ]);
  });

  it('rejects huge pages without cpu or memory', () => {
    expect(validatePod(withResources({ limits: { 'hugepages-2Mi': '4Mi' } }))).toEqual([
      error('resources', 'FieldValueForbidden', 'Forbidden: HugePages require cpu or memory'),
    ]);
  });

  it('accepts a request equal to its limit and a request without a limit', () => {
    const resources = {
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '1000m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
    };
    expect(validatePod(withResources(resources))).toEqual([]);
  });

  it('rejects a memory request above its limit, at the requests path', () => {
    const resources = { limits: { memory: '1Gi' }, requests: { memory: '2Gi' } };
    expect(validatePod(withResources(resources))).toEqual([
      error(
        'resources.requests',
        'FieldValueInvalid',
        'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
      ),
    ]);
  });
});
