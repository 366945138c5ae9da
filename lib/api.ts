import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { forbiddenMessage } from '../functions/core/auth/tokens';

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
}

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
 * except the health paths.
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'podplane Kubernetes API',
      binaryMediaTypes: [...props.binaryMediaTypes],
      // kubectl talks to one region directly; an edge endpoint would add a CloudFront hop.
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // The CloudWatch role is an account-wide singleton; a stack must not claim it.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'api',
        // Without a stage limit one client can use the whole account's API Gateway and Lambda
        // concurrency. 200/s with bursts of 400 is far beyond kubectl use and well above what
        // ECS RunTask (20/s) can launch, so it only stops runaway loops.
        throttlingRateLimit: 200,
        throttlingBurstLimit: 400,
      },
    });
    const integration = new apigateway.LambdaIntegration(props.handler);
    const authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', {
      handler: props.authorizer,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.seconds(props.authorizerCacheSeconds),
    });
    const secured = { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
    this.restApi.root.addMethod('ANY', integration, secured);
    this.restApi.root.addProxy({
      defaultIntegration: integration,
      defaultMethodOptions: secured,
      anyMethod: true,
    });
    for (const path of props.publicPaths)
      this.restApi.root.addResource(path.replace(/^\//, '')).addMethod('GET', integration, {
        authorizationType: apigateway.AuthorizationType.NONE,
      });

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
