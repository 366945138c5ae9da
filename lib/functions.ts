import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { environmentVariables, type FunctionDefinition } from '../functions/wiring';
import { acceptFindings } from './nag';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

const bundling: nodejs.BundlingOptions = {
  // Synth must work offline and without Docker: the esbuild in node_modules bundles.
  forceDockerBundling: false,
  // esbuild's per-file size report drowns out `cdk synth`; warnings still show.
  logLevel: nodejs.LogLevel.WARNING,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // ESM like the project. Checked: middy 6, Powertools, the SDK clients and yaml bundle to
  // ESM and run on Node. The banner gives CommonJS dependencies that `require` Node
  // built-ins a `require`, which ESM output otherwise lacks ("Dynamic require of ...").
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner:
    "import { createRequire as topLevelCreateRequire } from 'node:module';const require = topLevelCreateRequire(import.meta.url);",
  // Bundle the AWS SDK instead of using the one in the Lambda runtime: we ship exactly the
  // client versions package-lock.json pins and the tests ran against, and the runtime's
  // copy can change under us. The cost is a larger bundle (minified, tree-shaken).
  externalModules: [],
};

/** A value for every variable the wiring names: adding one there fails the build until it is set here. */
export type FunctionEnvironment = { readonly [K in keyof typeof environmentVariables]: string };

export interface HandlerFunctionProps {
  /** The key in `functionDefinitions`, e.g. `podStatus`. */
  readonly name: string;
  readonly definition: FunctionDefinition;
  readonly environment: FunctionEnvironment;
  readonly logRetention: logs.RetentionDays;
  /**
   * Variables beyond the wiring's, e.g. `AWS_ENDPOINT_URL_ECS` when a LocalStack deploy points
   * the ECS client at the simulator.
   */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
}

export interface BundledFunctionProps {
  /** Path of the handler module from the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
}

/**
 * A TypeScript handler bundled into a Lambda function the way every podplane function is: pinned
 * runtime, its own log group and role, X-Ray tracing.
 */
export class BundledFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Handler logs are diagnostics with a retention anyway; they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of its own instead of AWSLambdaBasicExecutionRole, which may create log groups and
    // write to any of them: this one writes to the function's own log group and nothing else.
    this.role = new iam.Role(this, 'Role', {
      description: props.description,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: props.description,
      entry: join(repositoryRoot, props.entry),
      handler: 'handler',
      projectRoot: repositoryRoot,
      depsLockFilePath: join(repositoryRoot, 'package-lock.json'),
      // Pinned: nodejs20.x is deprecated, and a moving default would change the runtime under us.
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      logGroup,
      role: this.role,
      // Traces join API Gateway's, so a request shows the apiserver and its DynamoDB calls.
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling,
    });
    acceptFindings(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is pinned on purpose: the bundles are built and tested on the Node line they run on, and a moving "latest" would change the runtime under a deployed stack.',
      },
    ]);
    acceptFindings(this.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions.',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}

/** One podplane handler as a Lambda function, built from its wiring definition. */
export class HandlerFunction extends BundledFunction {
  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const { definition } = props;
    super(scope, id, {
      entry: definition.entry,
      description: `podplane ${props.name} (${definition.entry})`,
      memoryMiB: definition.memoryMiB,
      timeoutSeconds: definition.timeoutSeconds,
      logRetention: props.logRetention,
      environment: {
        ...Object.fromEntries(
          Object.entries(environmentVariables).map(([key, variable]) => [
            variable,
            props.environment[key as keyof FunctionEnvironment],
          ]),
        ),
        POWERTOOLS_SERVICE_NAME: `podplane-${kebabCase(props.name)}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.extraEnvironment,
      },
    });
    // Errors mean a handler threw (records retried, events re-sent); throttles mean Lambda
    // concurrency ran out. Either, for five minutes, is worth an operator's look.
    for (const [name, metric] of [
      ['Errors', this.function.metricErrors({ period: Duration.minutes(5) })],
      ['Throttles', this.function.metricThrottles({ period: Duration.minutes(5) })],
    ] as const)
      metric.createAlarm(this, `${name}Alarm`, {
        alarmDescription: `podplane ${props.name}: ${name.toLowerCase()}`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
  }
}

/** `podStatus` -> `pod-status`, matching the handler directories. */
function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
