/**
 * The custom resource behind `podplane:tokens` (lib/tokens.ts), run by CloudFormation at deploy:
 * reads a token from its Secrets Manager secret and writes the token's grant, keyed by its
 * SHA-256, where the authorizer looks it up. The token itself never leaves Secrets Manager.
 *
 * The physical resource id is the hash: when the secret's value changes, the id changes and
 * CloudFormation deletes the old id, which removes the old grant.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { dynamoTokenStore } from '../functions/adapters/dynamodb/token-store';
import { type TokenGrant, tokenHash } from '../functions/core/auth/tokens';
import { type CustomResourceResult, reasonOf, respond } from './cfn-response';

export interface TokenGrantProperties {
  readonly SecretArn: string;
  readonly Subject: string;
  readonly Namespaces: readonly string[];
}

const isHash = (id: string | undefined): id is string => /^[0-9a-f]{64}$/.test(id ?? '');

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined;
  let result: CustomResourceResult;
  try {
    result = { Status: 'SUCCESS', PhysicalResourceId: await apply(event, physicalId) };
  } catch (error) {
    // A create that failed has no grant to delete later: an id that is not a hash says so.
    result = {
      Status: 'FAILED',
      PhysicalResourceId: physicalId ?? `failed-${event.RequestId}`,
      Reason: reasonOf(error),
    };
  }
  await respond(event, result);
}

async function apply(
  event: CloudFormationCustomResourceEvent,
  physicalId: string | undefined,
): Promise<string> {
  if (event.RequestType === 'Delete') {
    if (isHash(physicalId)) await dynamoTokenStore.deleteGrant(physicalId);
    return physicalId ?? event.RequestId;
  }
  const properties = event.ResourceProperties as unknown as TokenGrantProperties;
  const secret = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: properties.SecretArn }),
  );
  if (!secret.SecretString) throw new Error(`secret ${properties.SecretArn} has no string value`);
  const grant: TokenGrant = { subject: properties.Subject, namespaces: [...properties.Namespaces] };
  const hash = tokenHash(secret.SecretString);
  await dynamoTokenStore.putGrant(hash, grant);
  return hash;
}
