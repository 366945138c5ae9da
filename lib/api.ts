import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ApiProps {
  /** The apiserver: it routes every Kubernetes path itself. */
  readonly handler: lambda.IFunction;
  /** From the wiring's HTTP trigger. */
  readonly binaryMediaTypes: readonly string[];
}

/**
 * The Kubernetes API endpoint: a REST API (v1, the only API Gateway flavour in LocalStack's
 * free tier) proxying `ANY /` and `ANY /{proxy+}` to the apiserver function.
 */
export class Api extends Construct {
  readonly restApi: apigateway.LambdaRestApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.restApi = new apigateway.LambdaRestApi(this, 'RestApi', {
      description: 'podplane Kubernetes API',
      handler: props.handler,
      proxy: true,
      binaryMediaTypes: [...props.binaryMediaTypes],
      // Until the bearer-token authorizer lands, every method needs SigV4-signed IAM credentials:
      // an open API would let anyone run containers in the account. (kubectl cannot sign SigV4,
      // so the deployed API is reachable with IAM tooling only for now.)
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
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
    // The stack exports the URL as ApiUrl; drop the construct's own duplicate output.
    this.restApi.node.tryRemoveChild('Endpoint');
  }

  get url(): string {
    return this.restApi.url;
  }
}
