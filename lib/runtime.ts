import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type Ec2Capacity, Ec2CapacityGroup } from './capacity';
import { acceptFindings } from './nag';
import { PodNetwork, type PodNetworking } from './pod-network';

/** What the SSM agent in a container needs for `aws ecs execute-command`: its two channels. */
export const ecsExecActions = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

export interface ContainerRuntimeProps {
  readonly logRetention: logs.RetentionDays;
  /** Fargate capacity shown as one virtual node per subnet pods run in, or none. */
  readonly fargate?: FargateCapacity;
  /** `podplane:vpcId`: an existing VPC, looked up at synth (needs the stack's account and region). */
  readonly vpcId?: string;
  /** `podplane:clusterName`: an existing ECS cluster instead of a new one. */
  readonly clusterName?: string;
  /** `podplane:ec2Capacity`: an Auto Scaling group of container instances, or none. */
  readonly ec2Capacity?: Ec2Capacity;
  /** `podplane:ecsExec`: a task role that lets `aws ecs execute-command` reach pods (default on). */
  readonly ecsExec?: boolean;
  /** `podplane:podNetworking`; absent lets lib/pod-network.ts choose from the VPC. */
  readonly podNetworking?: PodNetworking;
  /** `podplane:podSecurityGroupId`: the security group on pods' ENIs instead of one the stack makes. */
  readonly podSecurityGroupId?: string;
  /** `podplane:awsvpcTrunking`: ENI trunking for the stack's container instances (default off). */
  readonly awsvpcTrunking?: boolean;
}

/** `podplane:fargate` context: each zone's virtual node size, and Spot or not. */
export interface FargateCapacity {
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  readonly spot: boolean;
}

/**
 * The container runtime pods run on: an ECS cluster, the log group containers write to, the
 * task execution role ECS uses to pull images and ship those logs, and (with ECS Exec on) the
 * task role pods' containers run with.
 *
 * The VPC and cluster are new unless `vpcId` / `clusterName` name existing ones; EC2 capacity
 * (the nodes the scheduler places pods on) is an Auto Scaling group when `ec2Capacity` is given.
 */
export class ContainerRuntime extends Construct {
  /** Absent when nothing the stack makes needs one (an existing cluster, no capacity added). */
  readonly vpc?: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  /** The cluster when the stack made it (absent with `clusterName`): the stack may stop its tasks. */
  readonly ownCluster?: ecs.Cluster;
  readonly ec2Capacity?: Ec2CapacityGroup;
  /** How EC2 pods are networked, and where pods' ENIs go (PODPLANE_POD_NETWORKING / _NETWORK). */
  readonly podNetwork: PodNetwork;
  /** The Fargate pools' security group, when there are pools. */
  readonly fargateSecurityGroup?: ec2.SecurityGroup;
  readonly podLogGroup: logs.LogGroup;
  readonly taskExecutionRole: iam.Role;
  /** The role pod tasks run with, allowed only ECS Exec's channels; absent with ECS Exec off. */
  readonly taskRole?: iam.Role;
  /** The pools node-sync shows as virtual nodes (PODPLANE_FARGATE_POOLS); subnet ids resolve at deploy. */
  readonly fargatePools: readonly Record<string, unknown>[];

  constructor(scope: Construct, id: string, props: ContainerRuntimeProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const vpc = props.vpcId
      ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId })
      : props.clusterName && !props.fargate
        ? undefined
        : this.createVpc(props.logRetention);
    this.vpc = vpc;

    if (props.awsvpcTrunking && !props.ec2Capacity)
      throw new Error(
        'podplane:awsvpcTrunking turns ENI trunking on for the container instances the stack launches: it needs podplane:ec2Capacity',
      );
    if (props.clusterName) {
      if (props.ec2Capacity)
        throw new Error(
          'podplane:ec2Capacity adds capacity to a cluster the stack creates; with podplane:clusterName, add capacity providers to that cluster yourself',
        );
      this.cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
        clusterName: props.clusterName,
        // The attribute only matters for capacity added through the construct, which an existing
        // cluster never gets here; without a VPC of ours, a placeholder stands in.
        vpc:
          vpc ??
          ec2.Vpc.fromVpcAttributes(this, 'ClusterVpc', {
            vpcId: 'vpc-unused',
            availabilityZones: ['unused'],
          }),
      });
    } else {
      if (!vpc) throw new Error('a new cluster needs a VPC');
      const cluster = new ecs.Cluster(this, 'Cluster', {
        vpc,
        // Container Insights bills per metric per task; pod status comes from task events.
        containerInsightsV2: ecs.ContainerInsights.DISABLED,
      });
      acceptFindings(cluster, [
        {
          id: 'AwsSolutions-ECS4',
          reason:
            'Container Insights bills per metric per task and container; pod status comes from task events and DescribeTasks, and the dashboard shows what podplane does.',
        },
      ]);
      if (props.fargate) cluster.enableFargateCapacityProviders();
      if (props.ec2Capacity)
        this.ec2Capacity = new Ec2CapacityGroup(this, 'Ec2Capacity', {
          cluster,
          vpc,
          capacity: props.ec2Capacity,
          awsvpcTrunking: props.awsvpcTrunking ?? false,
          logRetention: props.logRetention,
        });
      this.cluster = cluster;
      this.ownCluster = cluster;
    }

    const capacity = this.ec2Capacity;
    this.podNetwork = new PodNetwork(this, 'PodNetwork', {
      ...(vpc ? { vpc } : {}),
      ...(props.podNetworking ? { requested: props.podNetworking } : {}),
      ...(props.podSecurityGroupId ? { securityGroupId: props.podSecurityGroupId } : {}),
      ...(capacity
        ? { instances: { subnets: capacity.subnets, securityGroup: capacity.securityGroup } }
        : {}),
      fargate: props.fargate !== undefined && vpc !== undefined,
    });
    const fargate = props.fargate && vpc ? this.addFargatePools(props.fargate, vpc) : undefined;
    this.fargatePools = fargate?.pools ?? [];
    if (fargate) this.fargateSecurityGroup = fargate.securityGroup;

    this.podLogGroup = new logs.LogGroup(this, 'PodLogs', {
      logGroupName: `/podplane/${stack.stackName}/pods`,
      retention: props.logRetention,
      // The name is fixed, so a retained group would block redeploying a stack of the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Confused-deputy guard: only ECS acting for this account may assume the task roles.
    const ecsTasks = () =>
      new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
      });
    this.taskExecutionRole = new iam.Role(this, 'TaskExecutionRole', {
      description: 'ECS pulls pod images and writes pod logs with this role',
      assumedBy: ecsTasks(),
    });
    this.podLogGroup.grantWrite(this.taskExecutionRole);
    // A pod may name any ECR image the account can read; scoping pulls to repositories is a
    // later least-privilege issue. Public registries need no permission.
    this.taskExecutionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:GetAuthorizationToken',
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
        ],
        resources: ['*'],
      }),
    );
    acceptFindings(this.taskExecutionRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'ecr:GetAuthorizationToken supports no resource-level permission, and a pod may name an image in any ECR repository of the account (the pull actions); scoping pulls to repositories needs a repository list podplane does not have.',
        appliesTo: ['Resource::*'],
      },
    ]);

    if (props.ecsExec ?? true) this.taskRole = this.createTaskRole(ecsTasks());
  }

  /**
   * The role pod tasks run with, for ECS Exec: the SSM agent ECS starts in each container opens
   * its Session Manager control and data channels with the task's role. It may do that and
   * nothing else; pods get no other AWS permissions from it.
   */
  private createTaskRole(assumedBy: iam.IPrincipal): iam.Role {
    const role = new iam.Role(this, 'TaskRole', {
      description: "Pod tasks run with this role: only ECS Exec's Session Manager channels",
      assumedBy,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ecsExecActions,
        resources: ['*'],
      }),
    );
    acceptFindings(role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "ECS Exec's ssmmessages actions (Create/Open Control/Data Channel) support no resource-level permission: `*` is the resource AWS documents for the ECS Exec task role.",
        appliesTo: ['Resource::*'],
      },
    ]);
    return role;
  }

  /**
   * A VPC for the cluster. ecs.Cluster creates one with two NAT gateways when given none. Public
   * subnets only and no NAT gateways cost nothing while there is no capacity, and let container
   * instances reach image registries without paying for NAT.
   */
  private createVpc(logRetention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
      // Nothing is placed in the default security group, and restricting it needs a
      // custom-resource Lambda that LocalStack would have to run as well.
      restrictDefaultSecurityGroup: false,
    });
    // Rejected connections only: what probed the container instances or was refused, at next to
    // no cost while nothing runs.
    vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', {
          retention: logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });
    return vpc;
  }

  /**
   * Fargate pools, one per subnet pods run in: the public subnets, with public IPs because a new
   * VPC has no NAT gateway (tasks must reach image registries); or, in an existing VPC without
   * public subnets, its private subnets behind their NAT. Their own security group allows no
   * inbound; they also carry the pods' group (lib/pod-network.ts), so pods reach each other.
   * On an existing cluster (`clusterName`) the FARGATE and FARGATE_SPOT capacity providers must
   * already be associated with it.
   */
  private addFargatePools(
    fargate: FargateCapacity,
    vpc: ec2.IVpc,
  ): { pools: Record<string, unknown>[]; securityGroup: ec2.SecurityGroup } {
    const publicSubnets = vpc.publicSubnets.length > 0;
    const subnets = publicSubnets ? vpc.publicSubnets : vpc.privateSubnets;
    const securityGroup = new ec2.SecurityGroup(this, 'FargateTasks', {
      vpc,
      description: 'podplane pods on Fargate: outbound only',
      allowAllOutbound: true,
    });
    const podGroup = this.podNetwork.securityGroup;
    const securityGroups = [securityGroup.securityGroupId, ...(podGroup ? [podGroup.securityGroupId] : [])];
    const pools = subnets.map((subnet, i) => ({
      name: `fargate-${i}`,
      zone: subnet.availabilityZone,
      cpu: fargate.cpu,
      memory: fargate.memory,
      pods: fargate.pods,
      capacityProvider: fargate.spot ? 'FARGATE_SPOT' : 'FARGATE',
      subnets: [subnet.subnetId],
      securityGroups,
      assignPublicIp: publicSubnets,
    }));
    return { pools, securityGroup };
  }

  /** ARN pattern of this cluster's tasks or container instances (ECS's long ARN format). */
  arnInCluster(resourceType: 'task' | 'container-instance'): string {
    return Stack.of(this).formatArn({
      service: 'ecs',
      resource: resourceType,
      resourceName: `${this.cluster.clusterName}/*`,
    });
  }
}
