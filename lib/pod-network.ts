import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { PodNetworking } from '../functions/core/ecs/task-definition';

// How EC2 pods are networked (`podplane:podNetworking`, PODPLANE_POD_NETWORKING): the functions'
// own type, so the stack and the kubelet name the same two modes.
export type { PodNetworking } from '../functions/core/ecs/task-definition';

/** PODPLANE_POD_NETWORK: where EC2 awsvpc pods get their ENIs; empty lists with bridge. */
export interface PodNetworkConfiguration {
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
}

export interface PodNetworkProps {
  /** The VPC pods' ENIs go in; none when the stack has no VPC (an existing cluster, no Fargate). */
  readonly vpc?: ec2.IVpc;
  /** `podplane:podNetworking`; absent: awsvpc wherever the stack knows the VPC, as Kubernetes gives every pod an IP. */
  readonly requested?: PodNetworking;
  /** `podplane:podSecurityGroupId`: a security group of the user's instead of the stack's. */
  readonly securityGroupId?: string;
  /** The stack's EC2 container instances: their subnets and security group (nodes reach pods). */
  readonly instances?: {
    readonly subnets: readonly ec2.ISubnet[];
    readonly securityGroup: ec2.ISecurityGroup;
  };
  /** Fargate pools exist: their pods get ENIs whatever EC2 pods do, so they need the group too. */
  readonly fargate: boolean;
}

/**
 * The network pods' ENIs live in: which mode EC2 pods use, the subnets their ENIs go in and the
 * security group every pod ENI carries (EC2 awsvpc and Fargate alike).
 *
 * The group allows all traffic from its own members and from the container instances, and none
 * from anywhere else: pods reach each other and nodes reach pods (Kubernetes' network model),
 * the internet reaches no pod. Outbound is open.
 *
 * ECS gives EC2 tasks in awsvpc mode no public IP (RunTask refuses assignPublicIp ENABLED for
 * them), so such a pod reaches the internet only from a private subnet behind a NAT. The image
 * pull and the awslogs driver are the instance's own traffic (the Docker daemon on the host),
 * so they work either way; a pod's own outbound calls and ECS Exec's agent (which runs inside
 * the task's network namespace) do not. The default is still awsvpc, as Kubernetes' network model
 * and the local control plane have it; in a VPC of public subnets only (the one the stack makes,
 * to avoid paying for NAT) synth says what pods give up there and how to choose otherwise.
 */
export class PodNetwork extends Construct {
  readonly networking: PodNetworking;
  /** The group on every pod ENI; absent without a VPC or when no pod gets an ENI. */
  readonly securityGroup?: ec2.ISecurityGroup;
  /** The stack's own group (not `podplane:podSecurityGroupId`'s): what must outlive the pods' ENIs. */
  readonly createdSecurityGroup?: ec2.SecurityGroup;
  readonly configuration: PodNetworkConfiguration;

  constructor(scope: Construct, id: string, props: PodNetworkProps) {
    super(scope, id);
    const { vpc, requested } = props;
    const placement = vpc ? podSubnets(vpc, props.instances?.subnets) : undefined;

    this.networking = this.chooseNetworking(requested, placement, props.instances !== undefined);
    const awsvpc = this.networking === 'awsvpc';
    if (props.securityGroupId && !awsvpc && !props.fargate)
      Annotations.of(this).addWarningV2(
        'podplane:podSecurityGroupId',
        'podplane:podSecurityGroupId is not used: no pod gets an ENI (EC2 pods use bridge networking and there is no Fargate pool).',
      );

    if (vpc && (awsvpc || props.fargate)) {
      if (props.securityGroupId) {
        this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'Pods', props.securityGroupId, {
          mutable: false,
        });
      } else {
        const group = new ec2.SecurityGroup(this, 'Pods', {
          vpc,
          description: 'podplane pods: all traffic from pods and nodes, none from elsewhere',
          allowAllOutbound: true,
        });
        group.addIngressRule(group, ec2.Port.allTraffic(), 'pods to pods');
        if (props.instances)
          group.addIngressRule(props.instances.securityGroup, ec2.Port.allTraffic(), 'nodes to pods');
        this.createdSecurityGroup = group;
        this.securityGroup = group;
      }
    }

    this.configuration =
      awsvpc && placement && this.securityGroup
        ? {
            subnets: placement.subnets.map((subnet) => subnet.subnetId),
            securityGroups: [this.securityGroup.securityGroupId],
          }
        : { subnets: [], securityGroups: [] };
  }

  private chooseNetworking(
    requested: PodNetworking | undefined,
    placement: PodSubnets | undefined,
    ec2Capacity: boolean,
  ): PodNetworking {
    if (requested === 'bridge') return 'bridge';
    if (!placement) {
      if (requested === 'awsvpc')
        throw new Error(
          'podplane:podNetworking awsvpc needs the VPC pods run in: with podplane:clusterName and no Fargate pools the stack has none, so name it with podplane:vpcId',
        );
      // An existing cluster whose VPC the stack does not know: no subnets to put ENIs in.
      if (ec2Capacity)
        Annotations.of(this).addWarningV2(
          'podplane:podNetworking:bridge',
          'EC2 pods use bridge networking: the stack knows no VPC to give them network interfaces in. Name it with podplane:vpcId for a pod IP each.',
        );
      return 'bridge';
    }
    if (!placement.egress && ec2Capacity)
      Annotations.of(this).addWarningV2(
        'podplane:podNetworking:no-egress',
        'EC2 pods use awsvpc networking (a network interface and address each, the default) in public subnets: ECS gives such tasks no public IP, so pods reach each other, the VPC and nothing beyond it (their images still pull through the instance, but `kubectl exec` through ECS Exec and any outbound call of a pod fail). Use a VPC with private subnets behind a NAT (podplane:vpcId), or podplane:podNetworking bridge.',
      );
    return 'awsvpc';
  }
}

interface PodSubnets {
  readonly subnets: readonly ec2.ISubnet[];
  /** Private subnets, whose route to the internet is a NAT (ENIs without public IPs get out). */
  readonly egress: boolean;
}

/**
 * Where pods' ENIs go: the VPC's private subnets when they cover every zone the instances run in
 * (a task's ENI must be in its instance's zone), else the instances' own subnets: the public ones
 * when the VPC has any, as for the instances (lib/capacity.ts), else the private ones.
 *
 * A looked-up VPC's subnets are private when they have no route to an internet gateway; podplane
 * takes them to route to a NAT, as the CDK's PRIVATE_WITH_EGRESS does.
 */
export function podSubnets(vpc: ec2.IVpc, instanceSubnets?: readonly ec2.ISubnet[]): PodSubnets {
  const nodeSubnets =
    instanceSubnets ?? (vpc.publicSubnets.length > 0 ? vpc.publicSubnets : vpc.privateSubnets);
  const privateSubnets = vpc.privateSubnets;
  const covered =
    privateSubnets.length > 0 &&
    nodeSubnets.every((node) => privateSubnets.some((s) => s.availabilityZone === node.availabilityZone));
  return covered ? { subnets: privateSubnets, egress: true } : { subnets: nodeSubnets, egress: false };
}
