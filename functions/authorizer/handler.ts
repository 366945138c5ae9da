import middy from '@middy/core';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { dynamoTokenStore } from '../adapters/dynamodb/token-store';
import { observability } from '../commons/middleware';
import { bearerToken, policyFor, tokenHash } from '../core/auth/tokens';

/**
 * API Gateway's TOKEN authorizer for the bearer tokens kubectl sends. An unknown token is
 * "Unauthorized" (API Gateway answers 401); a known one gets a policy for the paths its grant
 * opens, and API Gateway answers 403 for the rest. The policy's principalId and context (the
 * grant's subject and namespaces) reach the apiserver as `requestContext.authorizer`, which is
 * how it knows who is calling.
 */
export const handler = middy(async (event: APIGatewayTokenAuthorizerEvent) => {
  const token = bearerToken(event.authorizationToken);
  const grant = token ? await dynamoTokenStore.getGrant(tokenHash(token)) : undefined;
  if (!grant) throw new Error('Unauthorized');
  return policyFor(grant, event.methodArn);
}).use(observability());
