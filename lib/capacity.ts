import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { privateIpv4Attribute } from '../functions/core/nodes/from-container-instance';
import { acceptFindings } from './nag';
import { AwsvpcTrunking } from './trunking';

/** `podplane:ec2Capacity`: the container instances pods are scheduled onto. */
export interface Ec2Capacity {
  readonly instanceType: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity?: number;
}

export interface Ec2CapacityProps {
  readonly cluster: ecs.Cluster;
  readonly vpc: ec2.IVpc;
  readonly capacity: Ec2Capacity;
  /** `podplane:awsvpcTrunking`: turn ECS ENI trunking on for the instances before any launches. */
  readonly awsvpcTrunking?: boolean;
  readonly logRetention: logs.RetentionDays;
}

/**
 * An Auto Scaling group of ECS-optimized instances registered with the cluster through a
 * capacity provider; node-sync turns each container instance into a Node.
 *
 * ECS managed scaling and managed termination protection stay off: managed scaling sizes the
 * group from tasks waiting in PROVISIONING, and podplane's scheduler never leaves a task there
 * (it binds pods to instances that exist), so it would only ever scale in, down to minCapacity,
 * under pods it cannot see coming. The group keeps the size it is given; docs/decisions.md says
 * what scaling in by hand does to pods.
 */
export class Ec2CapacityGroup extends Construct {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The instances' group: pods' security group lets it in, so nodes reach pods. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The role the ECS agent registers instances with. */
  readonly instanceRole: iam.Role;
  /** The subnets instances launch in: public ones when the VPC has any, else private. */
  readonly subnets: readonly ec2.ISubnet[];

  constructor(scope: Construct, id: string, props: Ec2CapacityProps) {
    super(scope, id);
    const { capacity, vpc } = props;
    validate(capacity);
    const instanceType = new ec2.InstanceType(capacity.instanceType);
    // The AMI must match the instance's CPU: Graviton types (t4g, m7g, ...) need the arm64 image.
    const hardwareType =
      instanceType.architecture === ec2.InstanceArchitecture.ARM_64
        ? ecs.AmiHardwareType.ARM
        : ecs.AmiHardwareType.STANDARD;
    const publicSubnets = vpc.publicSubnets.length > 0;
    const vpcSubnets = {
      subnetType: publicSubnets ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };
    this.subnets = vpc.selectSubnets(vpcSubnets).subnets;

    const securityGroup = new ec2.SecurityGroup(this, 'Instances', {
      vpc,
      description: 'podplane container instances: outbound only (image pulls, the ECS agent)',
      allowAllOutbound: true,
    });
    // The ECS agent's role; the capacity provider adds what the agent needs to it.
    const role = new iam.Role(this, 'InstanceRole', {
      description: 'podplane container instances: the ECS agent',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    this.securityGroup = securityGroup;
    this.instanceRole = role;
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      role,
      instanceType,
      // Resolved from the public SSM parameter at deploy time: synth stays offline.
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(hardwareType),
      userData: instanceUserData(),
      securityGroup,
      // Without NAT the instances need public addresses to reach the ECS endpoint and registries.
      associatePublicIpAddress: publicSubnets,
      requireImdsv2: true,
      // Pods' images and writable layers live on the root volume; encrypt it at rest.
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc,
      vpcSubnets,
      launchTemplate,
      minCapacity: capacity.minCapacity,
      maxCapacity: capacity.maxCapacity,
      ...(capacity.desiredCapacity === undefined ? {} : { desiredCapacity: capacity.desiredCapacity }),
      newInstancesProtectedFromScaleIn: false,
    });
    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'Provider', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: false,
      enableManagedTerminationProtection: false,
      // ECS's own draining instead of the CDK's drain hook (a Lambda and an SNS topic): an
      // instance being terminated turns DRAINING first, node-sync marks its node unschedulable,
      // and ECS holds the termination while its tasks still run.
      enableManagedDraining: true,
    });
    props.cluster.addAsgCapacityProvider(this.capacityProvider);
    if (props.awsvpcTrunking) {
      const trunking = new AwsvpcTrunking(this, 'AwsvpcTrunking', {
        instanceRole: role,
        instanceType: capacity.instanceType,
        logRetention: props.logRetention,
      });
      // ECS reads the setting when an instance registers: on before the first one launches.
      this.autoScalingGroup.node.addDependency(trunking.resource);
      // ECS trunks only instances without resource-based (A record) DNS names.
      (launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).addPropertyOverride(
        'LaunchTemplateData.PrivateDnsNameOptions.EnableResourceNameDnsARecord',
        false,
      );
    }
    acceptFindings(this.autoScalingGroup, [
      {
        id: 'AwsSolutions-AS3',
        reason:
          'Instances joining or leaving are already events podplane acts on (ECS Container Instance State Change -> node-sync), and they show up as nodes; SNS notifications would duplicate that.',
      },
    ]);
    acceptFindings(role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "The ECS agent's policy as the CDK grants it: register, deregister and ecs:Submit* (the agent's state-change calls) on this cluster only; Poll and StartTelemetrySession on `*` under an ecs:cluster condition for this cluster; DiscoverPollEndpoint, ecr:GetAuthorizationToken and the agent's log writes take no narrower resource.",
        appliesTo: ['Action::ecs:Submit*', 'Resource::*'],
      },
    ]);
  }
}

const imds = 'http://169.254.169.254/latest';

/**
 * The instance's boot script; the cluster adds its `ECS_CLUSTER` line to it. It gives the ECS
 * agent the instance's private IPv4 address as a custom attribute, which node-sync turns into the
 * node's InternalIP and pods' hostIP: ECS does not report an instance's address. The address
 * comes from IMDSv2 (a session token, then `local-ipv4`). On the ECS-optimized AMI user data runs
 * in cloud-final, and ecs.service starts after cloud-final and reads /etc/ecs/ecs.config then,
 * so the agent registers with the attribute. No address (IMDS unreachable), no line: the node
 * then has no InternalIP rather than the instance failing to join.
 */
function instanceUserData(): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  const curl = 'curl -sSf --retry 5 --retry-connrefused';
  userData.addCommands(
    `imds_token=$(${curl} -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' ${imds}/api/token)`,
    `private_ipv4=$(${curl} -H "X-aws-ec2-metadata-token: $imds_token" ${imds}/meta-data/local-ipv4)`,
    `if [ -n "$private_ipv4" ]; then printf 'ECS_INSTANCE_ATTRIBUTES={"${privateIpv4Attribute}":"%s"}\\n' "$private_ipv4" >> /etc/ecs/ecs.config; fi`,
  );
  return userData;
}

function validate(capacity: Ec2Capacity): void {
  const { minCapacity, maxCapacity, desiredCapacity } = capacity;
  const ordered =
    Number.isInteger(minCapacity) &&
    Number.isInteger(maxCapacity) &&
    minCapacity >= 0 &&
    minCapacity <= maxCapacity &&
    (desiredCapacity === undefined ||
      (Number.isInteger(desiredCapacity) &&
        desiredCapacity >= minCapacity &&
        desiredCapacity <= maxCapacity));
  if (!ordered)
    throw new Error(
      `podplane:ec2Capacity needs whole numbers with 0 <= minCapacity <= desiredCapacity <= maxCapacity, got ${JSON.stringify(capacity)}`,
    );
}
