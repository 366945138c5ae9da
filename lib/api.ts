import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { forbiddenMessage } from '../functions/core/auth/tokens';
import { acceptFindings } from './nag';

export interface ApiProps {
  /** The apiserver: it routes every Kubernetes path itself. */
  readonly handler: lambda.IFunction;
  /** From the wiring's HTTP trigger. */
  readonly binaryMediaTypes: readonly string[];
  /** Paths served without a token (health checks). */
  readonly publicPaths: readonly string[];
  /** The TOKEN authorizer for kubectl's bearer tokens. */
  readonly authorizer: lambda.IFunction;
  readonly authorizerCacheSeconds: number;
  readonly logRetention: logs.RetentionDays;
  /** Methods served by a streaming function instead of the apiserver (the wiring's `http-stream`). */
  readonly streaming?: StreamingRoute;
}

/** A function whose responses API Gateway streams (InvokeWithResponseStream), for some methods. */
export interface StreamingRoute {
  readonly handler: lambda.IFunction;
  /** e.g. `['GET']`: on every authenticated path, these go to `handler`; the rest stay on the apiserver. */
  readonly methods: readonly string[];
  /** How long one response may stream: the integration timeout. */
  readonly timeoutSeconds: number;
}

/**
 * API Gateway streams a response for at most 15 minutes, and then only while bytes keep coming:
 * a regional endpoint closes a stream idle for 5 minutes.
 */
export const maxStreamingSeconds = 15 * 60;

/**
 * Without a stage limit one client can use the whole account's API Gateway and Lambda
 * concurrency. 200/s with bursts of 400 is far beyond kubectl use and well above what ECS
 * RunTask (20/s) can launch, so it only stops runaway loops.
 */
export const stageThrottle = { rateLimit: 200, burstLimit: 400 } as const;

/**
 * The health paths answer anyone, so an anonymous flood on them must not use up the stage's
 * budget that kubectl users share: a probe a second per client is plenty.
 */
export const publicPathThrottle = { rateLimit: 10, burstLimit: 20 } as const;

/** A Kubernetes Status body for API Gateway's own answers, so kubectl prints them as it would. */
const statusTemplate = (code: number, reason: string, message: string) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });

/**
 * The Kubernetes API endpoint: a REST API (v1, the only API Gateway flavour in LocalStack's
 * free tier) proxying every path to the apiserver function behind a bearer-token authorizer,
 * except the health paths. With a streaming route, its methods (every GET: a REST API routes by
 * path and method, never by query, so a watch cannot be told from a list) go to that function
 * over response streaming instead, behind the same authorizer.
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'podplane Kubernetes API',
      binaryMediaTypes: [...props.binaryMediaTypes],
      // kubectl talks to one region directly; an edge endpoint would add a CloudFront hop.
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // API Gateway writes access and execution logs only once the account names a CloudWatch
      // role (one setting per account and region). The stack sets it and keeps the role when it
      // is deleted, so another stack's logging does not break with it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'api',
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        methodOptions: Object.fromEntries(
          props.publicPaths.map((path) => [
            `${path}/GET`,
            {
              throttlingRateLimit: publicPathThrottle.rateLimit,
              throttlingBurstLimit: publicPathThrottle.burstLimit,
              loggingLevel: apigateway.MethodLoggingLevel.ERROR,
            },
          ]),
        ),
        // Who called what, how it ended and how long it took, one JSON line per request.
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Execution logs only for errors (authorizer failures, integration timeouts): INFO would
        // log every request a second time.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        // X-Ray: a request's trace runs from API Gateway through the authorizer and apiserver.
        tracingEnabled: true,
      },
    });
    const integration = new apigateway.LambdaIntegration(props.handler);
    const authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', {
      handler: props.authorizer,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.seconds(props.authorizerCacheSeconds),
    });
    const secured = { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
    const root = this.restApi.root;
    const proxy = root.addProxy({ anyMethod: false });
    // The apiserver serves every method the streaming function does not: an explicit method
    // (GET) wins over ANY on the same resource. The health paths below are resources of their
    // own, so their GET stays on the apiserver.
    const routes = [{ method: 'ANY', integration }];
    if (props.streaming) {
      const { handler, methods, timeoutSeconds } = props.streaming;
      if (!(timeoutSeconds > 0 && timeoutSeconds <= maxStreamingSeconds))
        throw new Error(
          `A streamed response lasts at most ${maxStreamingSeconds} s in API Gateway; the streaming function asks for ${timeoutSeconds} s`,
        );
      for (const method of methods)
        if (!/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(method))
          throw new Error(`Streaming method ${JSON.stringify(method)} must be one HTTP method, not ANY`);
      const streamed = new apigateway.LambdaIntegration(handler, {
        responseTransferMode: apigateway.ResponseTransferMode.STREAM,
        timeout: Duration.seconds(timeoutSeconds),
      });
      routes.push(...methods.map((method) => ({ method, integration: streamed })));
    }
    for (const resource of [root, proxy])
      for (const { method, integration: target } of routes) {
        const added = resource.addMethod(method, target, secured);
        acceptFindings(added, [
          {
            id: 'AwsSolutions-COG4',
            reason:
              'kubectl authenticates with bearer tokens from a kubeconfig, which a Cognito user pool authorizer cannot check; the TOKEN authorizer validates them against hashed grants instead.',
          },
        ]);
      }
    for (const path of props.publicPaths) {
      const method = this.restApi.root.addResource(path.replace(/^\//, '')).addMethod('GET', integration, {
        authorizationType: apigateway.AuthorizationType.NONE,
      });
      acceptFindings(method, [
        {
          id: 'AwsSolutions-APIG4',
          reason: `${path} is a health check: load balancers and probes call it without credentials, as Kubernetes' own ${path} allows; it reveals nothing and is throttled to ${publicPathThrottle.rateLimit}/s.`,
        },
        { id: 'AwsSolutions-COG4', reason: `${path} is a public health check: no authorizer of any kind.` },
      ]);
    }
    acceptFindings(this.restApi, [
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The apiserver validates every body as the Kubernetes apiserver does (422 Status with field causes); an API Gateway model would duplicate that with worse messages.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF: a web ACL bills $5/month plus rules even when idle; the stage and per-method throttles and the token authorizer bound abuse. Attach one to the stage if the API is exposed widely.',
      },
      {
        id: 'AwsSolutions-IAM4',
        reason:
          "API Gateway's account-level CloudWatch role uses the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, which AWS documents for exactly this role.",
        appliesTo: [
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
        ],
      },
    ]);

    // The stack exports the URL as ApiUrl; the construct's own Endpoint output would repeat it.
    this.restApi.node.tryRemoveChild('Endpoint');

    // API Gateway answers 401 and 403 itself; give them Kubernetes' shape.
    const json = { 'Content-Type': "'application/json'" };
    this.restApi.addGatewayResponse('Unauthorized', {
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: json,
      templates: { 'application/json': statusTemplate(401, 'Unauthorized', 'Unauthorized') },
    });
    this.restApi.addGatewayResponse('AccessDenied', {
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: json,
      templates: {
        'application/json': statusTemplate(
          403,
          'Forbidden',
          forbiddenMessage('$context.authorizer.principalId'),
        ),
      },
    });
  }

  get url(): string {
    return this.restApi.url;
  }
}
