import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoTokenStore } from '../../functions/adapters/dynamodb/token-store';
import { tokenHash } from '../../functions/core/auth/tokens';
import { handler } from '../../lib/token-grant-handler';
import { useFreshTable } from './support';

/**
 * One local HTTP server plays Secrets Manager (its JSON protocol, as the real SDK client speaks
 * it) and CloudFormation's pre-signed response URL, so the handler runs unchanged.
 */
const secrets = new Map<string, string>();
const responses: Record<string, unknown>[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  await useFreshTable();
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.method === 'PUT') {
        responses.push(JSON.parse(body));
        response.end();
        return;
      }
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = secrets.get(SecretId);
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        response.statusCode = 400;
        response.end(
          JSON.stringify({ __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` }),
        );
        return;
      }
      response.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = base;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: { SecretArn: string; Subject: string; Namespaces: string[] },
  physicalResourceId?: string,
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:writer',
    ResponseURL: `${base}/response`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/podplane/1',
    RequestId: `request-${responses.length}`,
    LogicalResourceId: 'TokensAdminGrant',
    ResourceType: 'Custom::PodplaneTokenGrant',
    ResourceProperties: { ServiceToken: 'writer', ...properties },
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
    ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
  } as CloudFormationCustomResourceEvent;
}

describe('deploy-time token grants', () => {
  const admin = { SecretArn: 'admin-secret', Subject: 'admin', Namespaces: ['*'] };

  it("stores the grant under the secret's hash and names the resource by it", async () => {
    secrets.set('admin-secret', 'first-token');
    await handler(event('Create', admin));
    expect(responses.at(-1)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: tokenHash('first-token'),
      LogicalResourceId: 'TokensAdminGrant',
    });
    expect(await dynamoTokenStore.getGrant(tokenHash('first-token'))).toEqual({
      subject: 'admin',
      namespaces: ['*'],
    });
  });

  it('moves the grant to a new token, and the old one goes when CloudFormation deletes its id', async () => {
    const oldId = tokenHash('first-token');
    secrets.set('admin-secret', 'second-token');
    await handler(event('Update', { ...admin, Namespaces: ['team-a'] }, oldId));
    expect(responses.at(-1)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: tokenHash('second-token'),
    });
    expect(await dynamoTokenStore.getGrant(tokenHash('second-token'))).toEqual({
      subject: 'admin',
      namespaces: ['team-a'],
    });

    await handler(event('Delete', admin, oldId));
    expect(responses.at(-1)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: oldId });
    expect(await dynamoTokenStore.getGrant(oldId)).toBeUndefined();
    expect(await dynamoTokenStore.getGrant(tokenHash('second-token'))).toBeDefined();
  });

  it('reports a failure to CloudFormation instead of leaving the deploy hanging', async () => {
    await handler(event('Create', { ...admin, SecretArn: 'missing' }));
    const failed = responses.at(-1);
    expect(failed).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('missing') });
    // A failed create's id is not a hash, so the delete CloudFormation sends next removes nothing.
    await handler(event('Delete', admin, String(failed?.PhysicalResourceId)));
    expect(responses.at(-1)).toMatchObject({ Status: 'SUCCESS' });
  });
});
