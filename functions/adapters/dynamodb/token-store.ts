import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenGrant } from '../../core/auth/tokens';
import type { TokenStore } from '../../core/ports';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';

/** Grants live in the objects table under pk `tokens`, keyed by the token's hash, never the token. */
const grantKey = (hash: string) => ({ pk: 'tokens', sk: hash });

export const dynamoTokenStore: TokenStore & { deleteGrant(hash: string): Promise<void> } = {
  async getGrant(hash) {
    const out = await dynamo().send(
      new GetCommand({
        TableName: tableName(),
        Key: grantKey(hash),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return out.Item ? (JSON.parse(String(out.Item.body)) as TokenGrant) : undefined;
  },

  async putGrant(hash, grant) {
    const out = await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...grantKey(hash), rv: Date.now() * 1000, body: JSON.stringify(grant) },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },

  /** Only deploy-time tokens are deleted (their custom resource does it); kubectl users cannot. */
  async deleteGrant(hash) {
    await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: grantKey(hash) }));
  },
};
