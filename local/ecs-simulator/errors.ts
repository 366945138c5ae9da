/**
 * Errors in the shape of the ECS JSON protocol: the `__type` becomes the SDK's exception name
 * (`ClientException`, `InvalidParameterException`, ...), so callers catch the same classes they
 * would against AWS.
 */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const clientException = (message: string) => new AwsJsonError('ClientException', message);
export const invalidParameter = (message: string) => new AwsJsonError('InvalidParameterException', message);
export const clusterNotFound = () => new AwsJsonError('ClusterNotFoundException', 'Cluster not found.');
// ECS answers throttled calls with HTTP 400 and this type; the SDK's retry strategy knows the name.
export const throttling = () => new AwsJsonError('ThrottlingException', 'Rate exceeded');
export const unknownOperation = (target: string) =>
  new AwsJsonError('UnknownOperationException', `Unknown operation ${target}`);
export const serializationException = (message: string) =>
  new AwsJsonError('SerializationException', message);
