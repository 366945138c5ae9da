import { afterEach, describe, expect, it } from 'vitest';
import { localstackEnvironment, localstackUnavailableReason } from '../../local/localstack';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('the LocalStack deploy environment', () => {
  it('points every AWS client at LocalStack with its test account, and drops real credentials', () => {
    process.env.AWS_PROFILE = 'production';
    process.env.AWS_SESSION_TOKEN = 'real-session';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAREAL';
    const env = localstackEnvironment(new URL('http://localhost.localstack.cloud:4566'));
    expect(env.AWS_PROFILE).toBeUndefined();
    expect(env.AWS_SESSION_TOKEN).toBeUndefined();
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: 'http://localhost.localstack.cloud:4566',
      AWS_ENDPOINT_URL_S3: 'http://s3.localhost.localstack.cloud:4566',
      AWS_ACCESS_KEY_ID: 'test',
      CDK_DEFAULT_ACCOUNT: '000000000000',
    });
  });

  it('says in one line why the LocalStack suite cannot run without an auth token', () => {
    delete process.env.LOCALSTACK_AUTH_TOKEN;
    expect(localstackUnavailableReason()).toBe('LOCALSTACK_AUTH_TOKEN is not set');
  });
});
