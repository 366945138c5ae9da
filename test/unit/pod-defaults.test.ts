import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../functions/core/k8s';
import { defaultImagePullPolicy, qosClass, withPodDefaults } from '../../functions/core/pod/defaults';

// Expected values follow pkg/apis/core/v1/defaults.go (SetDefaults_Pod, SetDefaults_PodSpec,
// SetDefaults_Container, SetDefaults_ContainerPort) and the QoS rules of
// pkg/apis/core/v1/helper/qos (ComputePodQOS).

const digest = 'sha256:45b23dee08af5e43a7fea6c4cf9c25ccf269ee113168c19722f87876677c5cb2';

const podWith = (...containers: Container[]): Pod => ({
  metadata: { name: 'web' },
  spec: { containers },
});

describe('withPodDefaults', () => {
  const defaulted = withPodDefaults(podWith({ name: 'app', image: 'nginx:1.27' }));

  it('defaults restartPolicy to Always', () => {
    expect(defaulted.spec?.restartPolicy).toBe('Always');
  });

  it('defaults terminationGracePeriodSeconds to 30', () => {
    expect(defaulted.spec?.terminationGracePeriodSeconds).toBe(30);
  });

  it('defaults dnsPolicy to ClusterFirst', () => {
    expect(defaulted.spec?.dnsPolicy).toBe('ClusterFirst');
  });

  it('defaults schedulerName to default-scheduler', () => {
    expect(defaulted.spec?.schedulerName).toBe('default-scheduler');
  });

  it('defaults enableServiceLinks to true and securityContext to empty', () => {
    expect(defaulted.spec?.enableServiceLinks).toBe(true);
    expect(defaulted.spec?.securityContext).toEqual({});
  });

  it('defaults the termination message path and policy of each container', () => {
    expect(defaulted.spec?.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
  });

  it('stamps apiVersion v1 and kind Pod and puts a pod without a namespace in default', () => {
    expect(defaulted).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default' } });
  });

  it('keeps values the user set, including a grace period of 0', () => {
    const pod = withPodDefaults({
      metadata: { name: 'job', namespace: 'batch' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        dnsPolicy: 'Default',
        schedulerName: 'my-scheduler',
        containers: [{ name: 'app', image: 'busybox', imagePullPolicy: 'Never' }],
      },
    });
    expect(pod.metadata?.namespace).toBe('batch');
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      dnsPolicy: 'Default',
      schedulerName: 'my-scheduler',
    });
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('Never');
  });

  it('copies limits into requests for every resource that has a limit but no request', () => {
    const pod = withPodDefaults(
      podWith({
        name: 'app',
        image: 'nginx',
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
      }),
    );
    expect(pod.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { cpu: '250m', memory: '128Mi' },
    });
  });

  it('invents no requests for a container without limits', () => {
    const pod = withPodDefaults(podWith({ name: 'app', image: 'nginx' }));
    expect(pod.spec?.containers[0]?.resources?.requests).toBeUndefined();
  });

  it('applies container defaults to init containers too', () => {
    const pod = withPodDefaults({
      metadata: { name: 'web' },
      spec: {
        initContainers: [{ name: 'migrate', image: 'tool', resources: { limits: { cpu: '1' } } }],
        containers: [{ name: 'app', image: 'nginx' }],
      },
    });
    expect(pod.spec?.initContainers?.[0]).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      resources: { requests: { cpu: '1' } },
    });
  });

  it('defaults a container port protocol to TCP and keeps UDP', () => {
    const pod = withPodDefaults(
      podWith({
        name: 'dns',
        image: 'coredns',
        ports: [{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }],
      }),
    );
    expect(pod.spec?.containers[0]?.ports).toEqual([
      { containerPort: 53, protocol: 'TCP' },
      { containerPort: 53, protocol: 'UDP' },
    ]);
  });

  it('does not modify the pod it is given', () => {
    const pod = podWith({ name: 'app', image: 'nginx', resources: { limits: { cpu: '1' } } });
    const before = structuredClone(pod);
    withPodDefaults(pod);
    expect(pod).toEqual(before);
  });
});

describe('defaultImagePullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['library/nginx:stable', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['localhost:5000/team/app:latest', 'Always'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2026.01', 'IfNotPresent'],
    ['public.ecr.aws/docker/library/busybox', 'Always'],
    [`nginx@${digest}`, 'IfNotPresent'],
    [`nginx:1.27@${digest}`, 'IfNotPresent'],
    [`localhost:5000/app@${digest}`, 'IfNotPresent'],
  ])('defaults imagePullPolicy for %s to %s', (image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
  });

  it('defaults imagePullPolicy to IfNotPresent when there is no image', () => {
    expect(defaultImagePullPolicy(undefined)).toBe('IfNotPresent');
  });

  // Kubernetes parses the reference: a digest counts as a tag only when no tag is given
  // (parsers.ParseImageName); `name:latest@digest` still has the tag "latest", so Always.
  it('defaults imagePullPolicy to Always for :latest even when a digest follows', () => {
    expect(defaultImagePullPolicy(`nginx:latest@${digest}`)).toBe('Always');
  });

  it('is what withPodDefaults writes on a container without a policy', () => {
    const pod = withPodDefaults(podWith({ name: 'a', image: 'nginx' }, { name: 'b', image: 'nginx:1.27' }));
    expect(pod.spec?.containers.map((c) => c.imagePullPolicy)).toEqual(['Always', 'IfNotPresent']);
  });
});

describe('qosClass', () => {
  const qos = (...containers: Container[]) => qosClass(withPodDefaults(podWith(...containers)));
  const guaranteed = { limits: { cpu: '500m', memory: '128Mi' } };

  it('is BestEffort when no container sets requests or limits', () => {
    expect(qos({ name: 'a', image: 'x' }, { name: 'b', image: 'y' })).toBe('BestEffort');
  });

  it('is Guaranteed when every container has cpu and memory limits (requests default to them)', () => {
    expect(qos({ name: 'a', image: 'x', resources: guaranteed })).toBe('Guaranteed');
  });

  it('is Guaranteed when requests equal limits for cpu and memory in every container', () => {
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    expect(qos({ name: 'a', image: 'x', resources }, { name: 'b', image: 'y', resources })).toBe(
      'Guaranteed',
    );
  });

  it('is Burstable when a request is below its limit', () => {
    const resources = {
      requests: { cpu: '250m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '128Mi' },
    };
    expect(qos({ name: 'a', image: 'x', resources })).toBe('Burstable');
  });

  it('is Burstable with requests only', () => {
    expect(qos({ name: 'a', image: 'x', resources: { requests: { cpu: '100m' } } })).toBe('Burstable');
  });

  it('is Burstable when only memory has a limit', () => {
    expect(qos({ name: 'a', image: 'x', resources: { limits: { memory: '128Mi' } } })).toBe('Burstable');
  });

  it('is Burstable when one container is Guaranteed and another sets nothing', () => {
    expect(qos({ name: 'a', image: 'x', resources: guaranteed }, { name: 'b', image: 'y' })).toBe(
      'Burstable',
    );
  });

  it('counts init containers: one without resources makes a Guaranteed pod Burstable', () => {
    const pod = withPodDefaults({
      metadata: { name: 'web' },
      spec: {
        initContainers: [{ name: 'init', image: 'x' }],
        containers: [{ name: 'app', image: 'y', resources: guaranteed }],
      },
    });
    expect(qosClass(pod)).toBe('Burstable');
  });

  // ComputePodQOS compares quantities by value (Quantity.Cmp / Equal), not by spelling.
  it('is Guaranteed when request and limit are the same amount written differently (1 vs 1000m)', () => {
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } };
    expect(qos({ name: 'a', image: 'x', resources })).toBe('Guaranteed');
  });

  // Only cpu and memory decide the QoS class (supportedQoSComputeResources).
  it('is BestEffort when only ephemeral-storage is requested', () => {
    const resources = { requests: { 'ephemeral-storage': '1Gi' }, limits: { 'ephemeral-storage': '2Gi' } };
    expect(qos({ name: 'a', image: 'x', resources })).toBe('BestEffort');
  });
});

describe('probe defaults (SetDefaults_Probe, SetDefaults_HTTPGetAction)', () => {
  it('fills timeout 1, period 10, success 1, failure 3, and path / and scheme HTTP for httpGet', () => {
    const pod = withPodDefaults({
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'nginx',
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
          },
        ],
      },
    });
    expect(pod.spec?.containers[0]?.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(pod.spec?.containers[0]?.readinessProbe).toMatchObject({
      periodSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 3,
    });
  });
});
