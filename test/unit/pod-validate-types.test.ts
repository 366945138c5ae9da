import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { validatePod } from '../../functions/core/pod/validate';

// A pod comes straight from the user's JSON or YAML, so any field may hold any JSON value. The
// apiserver's decoder rejects a wrong type before validation; validatePod reports it as a field
// error (FieldValueInvalid) beside the others, and never throws.

const asPod = (value: unknown) => value as Pod;
const valid = {
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
};
const withSpec = (spec: Record<string, unknown>) => asPod({ metadata: { name: 'web' }, spec });
const wrongType = (field: string, message: string) => ({ field, reason: 'FieldValueInvalid', message });

describe('values of the wrong JSON type', () => {
  it.each([
    [null, 'Invalid value: null: must be of type object'],
    ['pod', 'Invalid value: "pod": must be of type object'],
    [[valid], `Invalid value: ${JSON.stringify([valid])}: must be of type object`],
  ])('reports a pod that is not an object (%j) at the root', (input, message) => {
    expect(validatePod(asPod(input))).toEqual([wrongType('', message)]);
  });

  it('reports containers that are not a list, and nothing else about them', () => {
    expect(validatePod(withSpec({ containers: 'x' }))).toEqual([
      wrongType('spec.containers', 'Invalid value: "x": must be of type array'),
    ]);
  });

  it('reports a container that is not an object', () => {
    expect(validatePod(withSpec({ containers: [{ name: 'app', image: 'nginx' }, 'sidecar'] }))).toEqual([
      wrongType('spec.containers[1]', 'Invalid value: "sidecar": must be of type object'),
    ]);
  });

  it('reports a containerPort given as a string instead of requiring one', () => {
    expect(
      validatePod(
        withSpec({ containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: '80' }] }] }),
      ),
    ).toEqual([
      wrongType('spec.containers[0].ports[0].containerPort', 'Invalid value: "80": must be of type integer'),
    ]);
  });

  it('reports a fractional number where an integer belongs', () => {
    expect(
      validatePod(
        withSpec({ containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80.5 }] }] }),
      ),
    ).toEqual([
      wrongType('spec.containers[0].ports[0].containerPort', 'Invalid value: 80.5: must be of type integer'),
    ]);
  });

  it('reports labels given as a list, and a label value that is not a string', () => {
    expect(validatePod(asPod({ ...valid, metadata: { name: 'web', labels: [] } }))).toEqual([
      wrongType('metadata.labels', 'Invalid value: []: must be of type object'),
    ]);
    expect(validatePod(asPod({ ...valid, metadata: { name: 'web', labels: { replicas: 3 } } }))).toEqual([
      wrongType('metadata.labels[replicas]', 'Invalid value: 3: must be of type string'),
    ]);
  });

  it('reports a name that is not a string instead of requiring one', () => {
    expect(validatePod(asPod({ ...valid, metadata: { name: 42 } }))).toEqual([
      wrongType('metadata.name', 'Invalid value: 42: must be of type string'),
    ]);
  });

  it('reports metadata and spec that are not objects', () => {
    expect(validatePod(asPod({ metadata: 'web', spec: 5 }))).toEqual([
      wrongType('metadata', 'Invalid value: "web": must be of type object'),
      wrongType('spec', 'Invalid value: 5: must be of type object'),
    ]);
  });

  it.each([
    [{ env: { A: '1' } }, 'spec.containers[0].env', 'Invalid value: {"A":"1"}: must be of type array'],
    [
      { livenessProbe: 'yes' },
      'spec.containers[0].livenessProbe',
      'Invalid value: "yes": must be of type object',
    ],
    [
      { resources: { limits: { cpu: true } } },
      'spec.containers[0].resources.limits[cpu]',
      'Invalid value: true: must be of type string or number',
    ],
    [
      { imagePullPolicy: 1 },
      'spec.containers[0].imagePullPolicy',
      'Invalid value: 1: must be of type string',
    ],
    [
      { livenessProbe: { tcpSocket: { port: [80] } } },
      'spec.containers[0].livenessProbe.tcpSocket.port',
      'Invalid value: [80]: must be of type integer or string',
    ],
  ])('reports container field %j', (fields, field, message) => {
    expect(validatePod(withSpec({ containers: [{ name: 'app', image: 'nginx', ...fields }] }))).toEqual([
      wrongType(field, message),
    ]);
  });

  it('reports tolerations and nodeSelector of the wrong type', () => {
    expect(
      validatePod(
        withSpec({
          containers: [{ name: 'app', image: 'nginx' }],
          tolerations: 'all',
          nodeSelector: 'linux',
        }),
      ),
    ).toEqual([
      wrongType('spec.nodeSelector', 'Invalid value: "linux": must be of type object'),
      wrongType('spec.tolerations', 'Invalid value: "all": must be of type array'),
    ]);
  });

  it('treats null like an absent field, as Go does', () => {
    expect(
      validatePod(
        asPod({
          metadata: { name: 'web', labels: null, annotations: null },
          spec: {
            containers: [{ name: 'app', image: 'nginx', ports: null, env: null, resources: null }],
            initContainers: null,
          },
        }),
      ),
    ).toEqual([]);
  });

  it('reads own properties only: keys named like Object methods are data, inherited ones are not', () => {
    expect(
      validatePod(
        asPod(
          JSON.parse(
            '{"metadata":{"name":"web","labels":{"constructor":"y","toString":"z"}},"spec":{"containers":[{"name":"app","image":"nginx","__proto__":{"image":5}}]}}',
          ),
        ),
      ),
    ).toEqual([]);
    const inherited = Object.create({ name: 'app', image: 'nginx' });
    expect(validatePod(withSpec({ containers: [inherited] }))).toEqual([
      { field: 'spec.containers[0].name', reason: 'FieldValueRequired', message: 'Required value' },
      { field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  });
});

/** Every path into a JSON value, so a property can replace what is there with anything. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const found: (string | number)[][] = [prefix];
  if (Array.isArray(value))
    value.forEach((item, i) => {
      found.push(...paths(item, [...prefix, i]));
    });
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...prefix, key]));
  return found;
}

function replaced(value: unknown, path: readonly (string | number)[], next: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return next;
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? replaced(item, rest, next) : item));
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = { ...value };
    copy[head] = replaced(copy[head], rest, next);
    return copy;
  }
  return value;
}

/** A pod that uses every field validatePod looks at, and is valid. */
const richPod = {
  metadata: {
    name: 'web-0',
    generateName: 'web-',
    namespace: 'default',
    labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
    annotations: { 'example.com/note': 'hello' },
  },
  spec: {
    restartPolicy: 'Always',
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['10.0.0.10'] },
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 600,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    nodeName: 'node-1',
    serviceAccountName: 'default',
    hostname: 'web-0',
    subdomain: 'web',
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoExecute', tolerationSeconds: 60 },
    ],
    initContainers: [
      { name: 'migrate', image: 'migrate:1', env: [{ name: 'DB', value: 'x' }] },
      {
        name: 'proxy',
        image: 'envoy:1',
        restartPolicy: 'Always',
        readinessProbe: { tcpSocket: { port: 'admin' } },
        ports: [{ name: 'admin', containerPort: 9901 }],
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePolicy: 'File',
        ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP', hostIP: '0.0.0.0' }],
        env: [
          { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
          { name: 'CONF', valueFrom: { configMapKeyRef: { name: 'conf', key: 'app.conf' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'token', key: 'token' } } },
        ],
        resources: {
          limits: { cpu: '1', memory: '1Gi', 'example.com/gpu': 1 },
          requests: { cpu: '500m', memory: 134217728 },
        },
        livenessProbe: {
          httpGet: {
            path: '/healthz',
            port: 'http',
            scheme: 'HTTP',
            httpHeaders: [{ name: 'X-Probe', value: '1' }],
          },
          initialDelaySeconds: 1,
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
          terminationGracePeriodSeconds: 5,
        },
        readinessProbe: { exec: { command: ['true'] } },
        startupProbe: { grpc: { port: 9090, service: 'health' } },
        lifecycle: { postStart: { tcpSocket: { port: 80 } }, preStop: { sleep: { seconds: 5 } } },
      },
    ],
  },
};
const richPaths = paths(richPod);

/** Any JSON value, plus the awkward ones a TypeScript caller could pass. */
const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 53,
    '',
    ' ',
    '\ud800',
    '__proto__',
  ),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'name'),
    fc.jsonValue(),
  ),
);

describe('validatePod on arbitrary input', () => {
  it('finds nothing wrong with the rich pod the properties start from', () => {
    expect(validatePod(asPod(richPod))).toEqual([]);
  });

  it('never throws, and always returns well-formed field errors, whatever JSON sits anywhere in a pod', () => {
    const reasons = [
      'FieldValueRequired',
      'FieldValueInvalid',
      'FieldValueNotSupported',
      'FieldValueDuplicate',
      'FieldValueTooLong',
      'FieldValueForbidden',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: richPaths.length - 1 }), anyValue), { minLength: 1, maxLength: 3 }),
        (changes) => {
          let input: unknown = richPod;
          for (const [index, value] of changes) input = replaced(input, richPaths[index] ?? [], value);
          const errors = validatePod(asPod(input));
          expect(Array.isArray(errors)).toBe(true);
          for (const error of errors) {
            expect(typeof error.field).toBe('string');
            expect(reasons).toContain(error.reason);
            expect(typeof error.message).toBe('string');
            expect(error.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on a pod that is any JSON value at all', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(Array.isArray(validatePod(asPod(value)))).toBe(true);
      }),
    );
  });

  it('reports a value of the wrong type in place of every string of the rich pod', () => {
    const stringPaths = richPaths.filter((path) => {
      let value: unknown = richPod;
      for (const key of path) value = (value as Record<string | number, unknown>)[key];
      return typeof value === 'string';
    });
    expect(stringPaths.length).toBeGreaterThan(40);
    const unreported: string[] = [];
    for (const path of stringPaths)
      for (const value of [true, ['x'], { x: 1 }]) {
        const errors = validatePod(asPod(replaced(richPod, path, value)));
        if (!errors.some((e) => e.reason === 'FieldValueInvalid' && e.message.includes('must be of type')))
          unreported.push(`${path.join('.')} = ${JSON.stringify(value)}`);
      }
    expect(unreported).toEqual([]);
  });
});

describe('validatePod on generated valid pods', () => {
  const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const labelValue = fc.stringMatching(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/);
  const envName = fc.stringMatching(/^[-_a-zA-Z][-._a-zA-Z0-9]{0,20}$/);

  it('accepts any DNS-label container names, label values and environment variable names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(dnsLabel, { minLength: 1, maxLength: 4 }),
        labelValue,
        envName,
        (names, value, env) => {
          const pod = {
            metadata: { name: names[0], labels: { app: value } },
            spec: {
              containers: names.map((name) => ({ name, image: 'nginx', env: [{ name: env, value: 'x' }] })),
            },
          };
          expect(validatePod(asPod(pod))).toEqual([]);
        },
      ),
    );
  });
});
