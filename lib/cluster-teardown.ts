import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { ClusterTeardownProperties } from './cluster-teardown-handler';
import { BundledFunction } from './functions';
import { grantClusterTeardown } from './permissions';
import type { ContainerRuntime } from './runtime';

export interface ClusterTeardownProps {
  /** The runtime whose cluster the stack made (`ownCluster`): a cluster it does not own is left alone. */
  readonly runtime: ContainerRuntime;
  readonly logRetention: logs.RetentionDays;
  /** `AWS_ENDPOINT_URL_ECS` when the functions' ECS calls go elsewhere (the simulator). */
  readonly ecsEndpoint?: string;
}

/** How long the function may take to stop the cluster's tasks: ECS's 120 s stop timeout, then ENIs. */
const functionTimeoutSeconds = 600;

/**
 * `cdk destroy` with pods running: a delete-time custom resource (lib/cluster-teardown-handler.ts)
 * that stops the cluster's tasks and waits for them to stop before CloudFormation deletes the
 * cluster, the container instances, the pods' security groups and the VPC.
 *
 * CloudFormation deletes a resource before the resources it depends on, so this one depends on
 * everything the running tasks keep busy; and the handler functions depend on it, so the kubelet
 * and the status path (which would restart stopped pods) and their triggers are gone before it
 * starts stopping tasks (PodplaneStack wires that).
 */
export class ClusterTeardown extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ClusterTeardownProps) {
    super(scope, id);
    const { runtime } = props;
    const cluster = runtime.ownCluster;
    if (!cluster) throw new Error('ClusterTeardown stops tasks only in a cluster the stack made');
    const stopper = new BundledFunction(this, 'Stopper', {
      entry: 'lib/cluster-teardown-handler.ts',
      description: "podplane: stops the cluster's tasks when the stack is deleted",
      memoryMiB: 256,
      timeoutSeconds: functionTimeoutSeconds,
      logRetention: props.logRetention,
      environment: props.ecsEndpoint ? { AWS_ENDPOINT_URL_ECS: props.ecsEndpoint } : {},
    });
    grantClusterTeardown(stopper.function, runtime);
    // Stops tasks only when the stack itself is being deleted, not when an update rolls back.
    stopper.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        resources: [Stack.of(this).stackId],
      }),
    );

    const properties: ClusterTeardownProperties = { ClusterName: cluster.clusterName };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: stopper.function.functionArn,
      resourceType: 'Custom::PodplaneClusterTeardown',
      properties,
      // The function answers before its own timeout; a function that dies fails the delete a
      // minute after that instead of CloudFormation's default hour.
      serviceTimeout: Duration.seconds(functionTimeoutSeconds + 60),
    });
    // Its permissions must outlive it: deleted after it, created before it.
    this.resource.node.addDependency(stopper.role);

    const inUseByTasks: IConstruct[] = [
      cluster,
      ...(runtime.vpc ? [runtime.vpc] : []),
      ...(runtime.podNetwork.createdSecurityGroup ? [runtime.podNetwork.createdSecurityGroup] : []),
      ...(runtime.fargateSecurityGroup ? [runtime.fargateSecurityGroup] : []),
      // Managed draining holds an instance's termination while tasks run on it.
      ...(runtime.ec2Capacity ? [runtime.ec2Capacity] : []),
    ];
    for (const construct of inUseByTasks) this.resource.node.addDependency(construct);
  }
}
