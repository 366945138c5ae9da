import { describe, expect, it } from 'vitest';
import {
  type ContainerInstanceView,
  nodeFromContainerInstance,
  nodeInternalIP,
  nodeResourcesFromContainerInstance,
  privateIpv4Attribute,
} from '../../functions/core/nodes/from-container-instance';

// A Kubernetes Node for an ECS container instance: well-known labels (kubernetes.io/hostname,
// kubernetes.io/os, kubernetes.io/arch with Go's GOARCH names, topology.kubernetes.io/zone,
// node.kubernetes.io/instance-type); ECS registers 1024 CPU units per vCPU and memory in MiB;
// the kubelet's default maxPods is 110; a DRAINING instance takes no new tasks (cordoned).

const now = '2026-03-01T12:00:00Z';
const instance = (overrides: Partial<ContainerInstanceView> = {}): ContainerInstanceView => ({
  containerInstanceArn:
    'arn:aws:ecs:eu-west-1:123456789012:container-instance/podplane/7c1a2b3c4d5e6f708192a3b4c5d6e7f8',
  ec2InstanceId: 'i-0123456789abcdef0',
  status: 'ACTIVE',
  agentConnected: true,
  registeredCpuUnits: 4096,
  registeredMemoryMiB: 7680,
  attributes: {
    'ecs.availability-zone': 'eu-west-1a',
    'ecs.instance-type': 'm6i.xlarge',
    'ecs.cpu-architecture': 'x86_64',
    'ecs.os-type': 'linux',
  },
  registeredAt: '2026-03-01T11:00:00Z',
  ...overrides,
});

const readyOf = (view: ContainerInstanceView) =>
  nodeFromContainerInstance(view, now).status?.conditions?.find((c) => c.type === 'Ready');

describe('nodeFromContainerInstance', () => {
  it('names the node after the EC2 instance and labels it with the well-known labels', () => {
    const node = nodeFromContainerInstance(instance(), now);
    expect(node).toMatchObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'i-0123456789abcdef0' } });
    expect(node.metadata?.labels).toEqual({
      'kubernetes.io/hostname': 'i-0123456789abcdef0',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': 'eu-west-1a',
      'node.kubernetes.io/instance-type': 'm6i.xlarge',
    });
  });

  it('labels an x86_64 instance amd64 and an arm64 instance arm64', () => {
    const arm = instance({ attributes: { ...instance().attributes, 'ecs.cpu-architecture': 'arm64' } });
    expect(nodeFromContainerInstance(arm, now).metadata?.labels?.['kubernetes.io/arch']).toBe('arm64');
    expect(nodeFromContainerInstance(arm, now).status?.nodeInfo?.architecture).toBe('arm64');
    expect(nodeFromContainerInstance(instance(), now).status?.nodeInfo?.architecture).toBe('amd64');
  });

  it('leaves out the zone and instance-type labels when ECS does not report them', () => {
    const labels = nodeFromContainerInstance(instance({ attributes: {} }), now).metadata?.labels ?? {};
    expect(labels).not.toHaveProperty('topology.kubernetes.io/zone');
    expect(labels).not.toHaveProperty('node.kubernetes.io/instance-type');
    expect(labels['kubernetes.io/os']).toBe('linux');
  });

  it('reports capacity and allocatable: 4096 CPU units as 4000m, MiB as Mi, 110 pods in bridge mode', () => {
    const node = nodeFromContainerInstance(instance(), now, 'bridge');
    expect(node.status?.allocatable).toEqual({ cpu: '4000m', memory: '7680Mi', pods: '110' });
    expect(node.status?.capacity).toEqual({ cpu: '4000m', memory: '7680Mi', pods: '110' });
  });

  // EC2 documents 4 network interfaces for m6i.xlarge; the ECS developer guide's ENI trunking
  // table gives it 20 awsvpc tasks with trunking.
  it('holds one awsvpc pod per ENI beyond the primary (m6i.xlarge: 4 ENIs, 3 pods)', () => {
    const node = nodeFromContainerInstance(instance(), now, 'awsvpc');
    expect(node.status?.allocatable?.pods).toBe('3');
  });

  it('holds what ECS publishes for ENI trunking when the instance has a trunk ENI (m6i.xlarge: 20)', () => {
    const trunked = instance({
      attributes: { ...instance().attributes, 'ecs.awsvpc-trunk-id': 'eni-0123456789abcdef0' },
    });
    expect(nodeResourcesFromContainerInstance(trunked, 'awsvpc').pods).toBe(20);
  });

  it('falls back to the kubelet default of 110 for an instance type the table does not know', () => {
    const unknown = instance({ attributes: { ...instance().attributes, 'ecs.instance-type': 'zz9.huge' } });
    expect(nodeResourcesFromContainerInstance(unknown, 'awsvpc').pods).toBe(110);
  });

  it("gives the node an InternalIP from the instance's podplane.private-ipv4-address attribute", () => {
    const addressed = instance({
      attributes: { ...instance().attributes, [privateIpv4Attribute]: '10.0.12.34' },
    });
    const node = nodeFromContainerInstance(addressed, now);
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '10.0.12.34' }]);
    expect(nodeInternalIP(node)).toBe('10.0.12.34');
  });

  it('leaves the addresses out when the instance does not register its address', () => {
    const node = nodeFromContainerInstance(instance(), now);
    expect(node.status).not.toHaveProperty('addresses');
    expect(nodeInternalIP(node)).toBeUndefined();
  });

  it('cordons a DRAINING instance and leaves an ACTIVE one schedulable', () => {
    expect(nodeFromContainerInstance(instance({ status: 'DRAINING' }), now).spec?.unschedulable).toBe(true);
    expect(nodeFromContainerInstance(instance(), now).spec?.unschedulable).toBeUndefined();
  });

  it('is Ready when the instance is ACTIVE and its agent connected', () => {
    expect(readyOf(instance())).toMatchObject({ status: 'True', lastHeartbeatTime: now });
  });

  it('is not Ready when the ECS agent is disconnected', () => {
    expect(readyOf(instance({ agentConnected: false }))?.status).toBe('False');
  });

  it('is not Ready once the instance has left the cluster (INACTIVE)', () => {
    expect(readyOf(instance({ status: 'INACTIVE', agentConnected: false }))?.status).toBe('False');
  });

  // Cordoning (spec.unschedulable) and readiness are independent in Kubernetes: `kubectl get
  // nodes` shows a cordoned healthy node as "Ready,SchedulingDisabled". A DRAINING instance's
  // agent is connected and still runs its tasks.
  it('keeps a DRAINING instance with a connected agent Ready while cordoning it', () => {
    const draining = instance({ status: 'DRAINING' });
    expect(nodeFromContainerInstance(draining, now).spec?.unschedulable).toBe(true);
    expect(readyOf(draining)?.status).toBe('True');
  });

  it('gives the AWS provider ID and remembers the container instance ARN', () => {
    const node = nodeFromContainerInstance(instance(), now);
    expect(node.spec?.providerID).toBe('aws:///eu-west-1a/i-0123456789abcdef0');
    expect(Object.values(node.metadata?.annotations ?? {})).toContain(instance().containerInstanceArn);
    expect(node.metadata?.creationTimestamp).toBe('2026-03-01T11:00:00Z');
  });
});

describe('nodeResourcesFromContainerInstance', () => {
  it('converts CPU units to millicores and MiB to bytes', () => {
    expect(nodeResourcesFromContainerInstance(instance(), 'bridge')).toEqual({
      cpuMillis: 4000,
      memoryBytes: 7680 * 2 ** 20,
      pods: 110,
    });
  });

  it('never rounds CPU up past what ECS registered', () => {
    expect(nodeResourcesFromContainerInstance(instance({ registeredCpuUnits: 1000 })).cpuMillis).toBe(976);
    expect(nodeResourcesFromContainerInstance(instance({ registeredCpuUnits: 1024 })).cpuMillis).toBe(1000);
  });
});
