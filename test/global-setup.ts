import type { TestProject } from 'vitest/node';
import { checkJava, type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { clearRecordedCalls } from '../scripts/verify-aws/recording';

let dynamodb: DynamoDbLocal | undefined;

/** One DynamoDB Local (the real engine, in memory) for every integration test file. */
export async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  checkJava();
  // The calls this run records are the ones `verify:aws` checks after it.
  clearRecordedCalls();
  dynamodb = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamodb.endpoint);
}

export async function teardown() {
  await dynamodb?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
