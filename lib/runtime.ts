import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acceptFindings } from './nag';

export interface ContainerRuntimeProps {
  readonly logRetention: logs.RetentionDays;
  /** Fargate capacity shown as one virtual node per public subnet, or none. */
  readonly fargate?: FargateCapacity;
}

/** `podplane:fargate` context: each zone's virtual node size, and Spot or not. */
export interface FargateCapacity {
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  readonly spot: boolean;
}

/**
 * The container runtime pods run on: an ECS cluster, the log group containers write to, and
 * the task execution role ECS uses to pull images and ship those logs.
 *
 * EC2 capacity (the nodes the scheduler places pods on) is a later issue. It plugs in here:
 * an Auto Scaling group in `vpc`, added with `cluster.addAsgCapacityProvider(...)`, whose
 * container instances node-sync turns into Node objects.
 */
export class ContainerRuntime extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly podLogGroup: logs.LogGroup;
  readonly taskExecutionRole: iam.Role;
  /** The pools node-sync shows as virtual nodes (PODPLANE_FARGATE_POOLS); subnet ids resolve at deploy. */
  readonly fargatePools: readonly Record<string, unknown>[];

  constructor(scope: Construct, id: string, props: ContainerRuntimeProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // ecs.Cluster creates a VPC with two NAT gateways when given none. Public subnets only and
    // no NAT gateways cost nothing while there is no capacity, and later let container
    // instances reach image registries without paying for NAT.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
      // Nothing is placed in the default security group, and restricting it needs a
      // custom-resource Lambda that LocalStack would have to run as well.
      restrictDefaultSecurityGroup: false,
    });
    // Rejected connections only: what probed the container instances or was refused, at next to
    // no cost while nothing runs.
    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', {
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      // Container Insights bills per metric per task; pod status comes from task events.
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });

    acceptFindings(this.cluster, [
      {
        id: 'AwsSolutions-ECS4',
        reason:
          'Container Insights bills per metric per task and container; pod status comes from task events and DescribeTasks, and the dashboard shows what podplane does.',
      },
    ]);

    this.fargatePools = props.fargate ? this.addFargatePools(props.fargate) : [];

    this.podLogGroup = new logs.LogGroup(this, 'PodLogs', {
      logGroupName: `/podplane/${stack.stackName}/pods`,
      retention: props.logRetention,
      // The name is fixed, so a retained group would block redeploying a stack of the same name.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskExecutionRole = new iam.Role(this, 'TaskExecutionRole', {
      description: 'ECS pulls pod images and writes pod logs with this role',
      // Confused-deputy guard: only ECS acting for this account may assume the role.
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
      }),
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
  }

  /**
   * Fargate on the cluster, one pool per public subnet. Tasks get public IPs because the VPC has
   * no NAT gateway (they must reach image registries); their security group allows no inbound.
   */
  private addFargatePools(fargate: FargateCapacity): Record<string, unknown>[] {
    this.cluster.enableFargateCapacityProviders();
    const securityGroup = new ec2.SecurityGroup(this, 'FargateTasks', {
      vpc: this.vpc,
      description: 'podplane pods on Fargate: outbound only',
      allowAllOutbound: true,
    });
    return this.vpc.publicSubnets.map((subnet, i) => ({
      name: `fargate-${i}`,
      zone: subnet.availabilityZone,
      cpu: fargate.cpu,
      memory: fargate.memory,
      pods: fargate.pods,
      capacityProvider: fargate.spot ? 'FARGATE_SPOT' : 'FARGATE',
      subnets: [subnet.subnetId],
      securityGroups: [securityGroup.securityGroupId],
      assignPublicIp: true,
    }));
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
