import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { environmentVariables, objectsTable } from '../../functions/wiring';
import { ensureTable } from '../../local/tables';

/**
 * Points the adapters at the shared DynamoDB Local and a table of this test file's own, made
 * from the same definition as the stack's. Call before the first adapter call in the file.
 */
export async function useFreshTable(): Promise<{ tableName: string; streamArn: string; endpoint: string }> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'podplane',
    AWS_SECRET_ACCESS_KEY: 'podplane',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoint,
    [environmentVariables.table]: tableName,
    [environmentVariables.cluster]: 'podplane-test',
    [environmentVariables.logGroup]: '/podplane/test/pods',
    // awsvpc pods on EC2 need subnets for their ENIs, as the stack passes them.
    [environmentVariables.podNetwork]: JSON.stringify({
      subnets: ['subnet-test'],
      securityGroups: ['sg-test'],
    }),
  });
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  try {
    const streamArn = await ensureTable(client, tableName, objectsTable);
    return { tableName, streamArn, endpoint };
  } finally {
    client.destroy();
  }
}
