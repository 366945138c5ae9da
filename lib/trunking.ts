import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { instanceNetworkLimits } from '../functions/core/nodes/pod-capacity';
import { acceptFindings } from './nag';

export interface AwsvpcTrunkingProps {
  /** The role the container instances register with: the principal the setting is for. */
  readonly instanceRole: iam.Role;
  readonly instanceType: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * `podplane:awsvpcTrunking`: turns ECS's `awsvpcTrunking` account setting on for the container
 * instances' role, so instances it registers get a trunk ENI and room for many more awsvpc tasks
 * (a c5.large: 10 instead of 2).
 *
 * ECS applies the setting of the principal that registers an instance, when it registers, so it
 * must be on before the Auto Scaling group launches any (the group depends on this resource).
 * PutAccountSetting changes another principal's setting only for the root user ("to use
 * principalArn, you must be the root user, or the principal"), so the custom resource assumes
 * the instance role and sets it as that role; the role may call PutAccountSetting for
 * `awsvpcTrunking` and nothing else, and only this custom resource's function may assume it
 * besides EC2. The account default (`put-account-setting-default`) stays as it is: it would
 * change every principal of the account, other teams' instances too.
 *
 * Removing the option leaves the role's setting on (the role goes with the stack); instances
 * launched later still get a trunk ENI, which node-sync reads from the instance's attributes.
 */
export class AwsvpcTrunking extends Construct {
  readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: AwsvpcTrunkingProps) {
    super(scope, id);
    const { instanceRole, instanceType } = props;
    const limits = instanceNetworkLimits(instanceType);
    if (limits && limits.trunkingTaskLimit === undefined)
      throw new Error(
        `podplane:awsvpcTrunking: ECS does not support ENI trunking on ${instanceType} (the ECS developer guide lists the types that do, e.g. c5, c6g, m5, m6g, m7g, r6g); pick one of those or turn trunking off`,
      );
    if (!limits)
      Annotations.of(this).addWarningV2(
        'podplane:awsvpcTrunking:unknown-type',
        `podplane:awsvpcTrunking: ${instanceType} is not in podplane's instance network table, so whether ECS trunks it is unchecked; an instance type ECS does not trunk registers without a trunk ENI.`,
      );

    const role = new iam.Role(this, 'Role', {
      description: "podplane: turns awsvpcTrunking on for the container instances' role",
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);

    instanceRole.assumeRolePolicy?.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        principals: [new iam.ArnPrincipal(role.roleArn)],
      }),
    );
    instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:PutAccountSetting'],
        resources: ['*'],
        conditions: { StringEquals: { 'ecs:account-setting': 'awsvpcTrunking' } },
      }),
    );
    acceptFindings(instanceRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'ecs:PutAccountSetting supports no resource-level permission; the ecs:account-setting condition limits it to awsvpcTrunking, and without principalArn it changes only the calling role.',
        appliesTo: ['Resource::*'],
      },
    ]);

    const putSetting: cr.AwsSdkCall = {
      service: 'ECS',
      action: 'PutAccountSetting',
      // No principalArn: the setting is the caller's, and the caller is the instance role.
      parameters: { name: 'awsvpcTrunking', value: 'enabled' },
      assumedRoleArn: instanceRole.roleArn,
      physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking'),
    };
    this.resource = new cr.AwsCustomResource(this, 'Setting', {
      resourceType: 'Custom::PodplaneAwsvpcTrunking',
      onCreate: putSetting,
      onUpdate: putSetting,
      role,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [instanceRole.roleArn] }),
      ]),
      // The SDK in the Lambda runtime has PutAccountSetting; downloading one at deploy adds a
      // minute and a dependency on npm.
      installLatestAwsSdk: false,
      logGroup,
      timeout: Duration.minutes(1),
      // A dead function fails the deploy in minutes instead of CloudFormation's hour.
      serviceTimeout: Duration.minutes(5),
    });
    // The role must hold PutAccountSetting (its default policy) before the call.
    this.resource.node.addDependency(instanceRole);
  }
}
