import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How an object's JSON is kept in its item's `body` attribute.
 *
 * DynamoDB bills a write by the item's size in 1 KB steps (transactions twice), and a pod's JSON
 * is about 2 KB once it carries metadata.managedFields and a status: every controller write paid
 * three units for it. Stored as raw DEFLATE with a preset dictionary of Kubernetes' own vocabulary
 * (field names, defaults, condition types and reasons, event wording), a pod is a few hundred
 * bytes, so a pod item fits in 1 KB and each of its writes costs one unit.
 *
 * The format is a Binary attribute whose first byte names the encoding; items written before it
 * hold a String of JSON and read as they are, so a `--data-dir` from an earlier version works.
 * A dictionary can never change once items were written with it: a better one is a new format
 * byte, read beside the old ones. The unit test pins dictionary v1's hash.
 */
const deflateWithDictionaryV1 = 1;

/** The stored form of an object's JSON text. */
export function encodeBody(json: string): Uint8Array {
  const packed = deflateRawSync(json, { level: 9, dictionary: dictionaryV1 });
  return Buffer.concat([Buffer.of(deflateWithDictionaryV1), packed]);
}

/** The JSON text of a stored body, whichever format it was written in. */
export function decodeBody(body: unknown): string {
  if (typeof body === 'string') return body;
  if (!(body instanceof Uint8Array)) throw new Error('stored body is neither JSON text nor binary');
  const format = body[0];
  if (format === deflateWithDictionaryV1)
    return inflateRawSync(body.subarray(1), { dictionary: dictionaryV1 }).toString('utf8');
  throw new Error(`stored body has unknown format ${format}`);
}

/*
 * Dictionary v1: objects as podplane stores them, with placeholder names and Kubernetes' defaults.
 * DEFLATE finds repeated text in the dictionary as if it came just before the body, and nearer
 * text costs fewer bits, so the pod (most writes) comes last. FROZEN: see the comment above.
 */
const time = '2026-01-01T00:00:00Z';
const uid = '00000000-0000-0000-0000-000000000000';

const sampleNamespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' }, uid },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
};

const sampleNode = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'i-0123456789abcdef0',
    labels: {
      'kubernetes.io/hostname': 'i-0123456789abcdef0',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': 'us-east-1a',
      'node.kubernetes.io/instance-type': 'm5.large',
      'eks.amazonaws.com/compute-type': 'fargate',
    },
    annotations: {
      'podplane.dev/container-instance-arn':
        'arn:aws:ecs:us-east-1:123456789012:container-instance/podplane/0123456789abcdef0123456789abcdef',
      'podplane.dev/ec2-instance-id': 'i-0123456789abcdef0',
      'podplane.dev/capacity': 'ec2',
    },
    creationTimestamp: time,
  },
  spec: {
    providerID: 'aws:///us-east-1a/i-0123456789abcdef0',
    unschedulable: true,
    taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
  },
  status: {
    capacity: { cpu: '2000m', memory: '8192Mi', pods: '110' },
    allocatable: { cpu: '2000m', memory: '8192Mi', pods: '110' },
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'ECS agent is connected',
        lastHeartbeatTime: time,
        lastTransitionTime: time,
      },
    ],
    nodeInfo: {
      architecture: 'amd64',
      operatingSystem: 'linux',
      kubeletVersion: 'podplane',
      kubeProxyVersion: '',
      containerRuntimeVersion: 'ecs',
      kernelVersion: '',
      osImage: '',
      machineID: 'i-0123456789abcdef0',
      systemUUID: 'i-0123456789abcdef0',
      bootID: '',
    },
  },
};

const sampleEvents = [
  ['Warning', 'FailedScheduling', 'default-scheduler', '0/3 nodes are available: 3 Insufficient cpu.'],
  ['Warning', 'BackOff', 'kubelet', 'Back-off restarting failed container web in pod web_default(uid)'],
  ['Warning', 'Unhealthy', 'kubelet', 'Liveness probe failed: ECS health check reported UNHEALTHY'],
  ['Normal', 'Killing', 'kubelet', 'Stopping container web'],
  ['Normal', 'Scheduled', 'default-scheduler', 'Successfully assigned default/web to i-0123456789abcdef0'],
  ['Normal', 'Pulling', 'kubelet', 'Pulling image "public.ecr.aws/docker/library/web:latest"'],
  ['Normal', 'Pulled', 'kubelet', 'Successfully pulled image "public.ecr.aws/docker/library/web:latest"'],
  ['Normal', 'Created', 'kubelet', 'Created container web'],
  ['Normal', 'Started', 'kubelet', 'Started container web'],
].map(([type, reason, component, message]) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { uid, name: 'web.0123456789abcdef', namespace: 'default' },
  involvedObject: {
    apiVersion: 'v1',
    kind: 'Pod',
    name: 'web',
    namespace: 'default',
    uid,
    fieldPath: 'spec.containers{web}',
  },
  type,
  reason,
  message,
  source: { component, host: 'i-0123456789abcdef0' },
  reportingComponent: component,
  reportingInstance: 'i-0123456789abcdef0',
  firstTimestamp: time,
  lastTimestamp: time,
  eventTime: '2026-01-01T00:00:00.000000Z',
  count: 1,
}));

const containerFields = {
  '.': {},
  'f:args': {},
  'f:command': {},
  'f:env': { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
  'f:image': {},
  'f:imagePullPolicy': {},
  'f:livenessProbe': {},
  'f:name': {},
  'f:ports': {
    '.': {},
    'k:{"containerPort":8080,"protocol":"TCP"}': {
      '.': {},
      'f:containerPort': {},
      'f:name': {},
      'f:protocol': {},
    },
  },
  'f:readinessProbe': {},
  'f:resources': {
    '.': {},
    'f:limits': { '.': {}, 'f:cpu': {}, 'f:memory': {} },
    'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} },
  },
  'f:terminationMessagePath': {},
  'f:terminationMessagePolicy': {},
};

const samplePod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-5d8f7c9b6d-x2k4p',
    generateName: 'web-5d8f7c9b6d-',
    namespace: 'default',
    uid,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: 30,
    generation: 1,
    labels: { app: 'web', 'app.kubernetes.io/name': 'web', 'pod-template-hash': '5d8f7c9b6d' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"Pod"}\n' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-5d8f7c9b6d',
        uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
    finalizers: ['example.com/cleanup'],
    managedFields: [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Apply',
        apiVersion: 'v1',
        time,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
            'f:labels': { '.': {}, 'f:app': {} },
          },
        },
      },
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:containers': { 'k:{"name":"web"}': containerFields },
            'f:dnsPolicy': {},
            'f:enableServiceLinks': {},
            'f:nodeSelector': {},
            'f:restartPolicy': {},
            'f:schedulerName': {},
            'f:securityContext': {},
            'f:terminationGracePeriodSeconds': {},
            'f:tolerations': {},
          },
        },
      },
      {
        manager: 'unknown',
        operation: 'Update',
        apiVersion: 'v1',
        time,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:containers': { 'k:{"name":"app"}': containerFields },
            'f:dnsPolicy': {},
            'f:enableServiceLinks': {},
            'f:restartPolicy': {},
            'f:schedulerName': {},
            'f:securityContext': {},
            'f:terminationGracePeriodSeconds': {},
          },
        },
      },
    ],
  },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'public.ecr.aws/docker/library/web:latest',
        command: ['/bin/sh', '-c'],
        args: ['sleep 3600'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 5,
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
      {
        name: 'app',
        image: 'busybox:1.36',
        resources: { requests: { cpu: '250m', memory: '64Mi' } },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'default',
    nodeName: 'i-0123456789abcdef0',
    securityContext: {},
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  },
  status: {
    phase: 'Running',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/3 nodes are available: 3 Insufficient memory.',
        lastTransitionTime: time,
      },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: time },
      { type: 'Initialized', status: 'True', lastTransitionTime: time },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: time },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: time },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: time },
      { type: 'Ready', status: 'True', lastTransitionTime: time },
    ],
    hostIP: '10.0.0.1',
    hostIPs: [{ ip: '10.0.0.1' }],
    podIP: '10.0.0.2',
    podIPs: [{ ip: '10.0.0.2' }],
    startTime: time,
    containerStatuses: [
      {
        name: 'web',
        image: 'public.ecr.aws/docker/library/web:latest',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 1,
        state: {
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' },
        },
        lastState: {
          terminated: { exitCode: 1, reason: 'Error', startedAt: time, finishedAt: time, containerID: '' },
        },
      },
      {
        name: 'app',
        image: 'busybox:1.36',
        imageID: '',
        restartCount: 0,
        started: true,
        ready: true,
        state: { running: { startedAt: '2026-01-01T00:00:00.000Z' } },
      },
      {
        name: 'app',
        image: 'busybox:1.36',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
      },
    ],
    qosClass: 'Burstable',
  },
};

const dictionaryV1 = Buffer.from(
  [sampleNamespace, sampleNode, ...sampleEvents, samplePod].map((o) => JSON.stringify(o)).join(''),
);

/** For the test that keeps dictionary v1 from ever changing. */
export const storedBodyDictionaryV1 = dictionaryV1;
