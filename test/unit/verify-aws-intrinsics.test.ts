// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation placeholders, not JavaScript ones
import { describe, expect, it } from 'vitest';
import {
  environmentOf,
  getAtt,
  physicalName,
  refOf,
  resolveIntrinsics,
  UnresolvableIntrinsic,
} from '../../scripts/verify-aws/intrinsics';

const template = {
  Parameters: {
    Ami: {
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
    },
    Stage: { Type: 'String', Default: 'prod' },
  },
  Conditions: {
    InUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
    NotInUsEast1: { 'Fn::Not': [{ Condition: 'InUsEast1' }] },
  },
  Mappings: { Sizes: { small: { cpu: '256' } } },
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    NamedTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-objects' } },
    },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    PathRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'runner', Path: '/service/' } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Fifo: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'shared-ecs' } },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/podplane-kubelet' } },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'podplane/token/admin' } },
    Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: {} },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { VpcId: 'vpc-0123456789abcdef0' } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: {} },
    Rule: { Type: 'AWS::Events::Rule', Properties: {} },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Grant: { Type: 'Custom::PodplaneTokenGrant', Properties: {} },
    Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
  },
};

describe('physicalName', () => {
  it('honours explicit names, resolving intrinsics in them', () => {
    expect(physicalName('NamedTable', template)).toBe('podplane-objects');
    expect(physicalName('Cluster', template)).toBe('shared-ecs');
    expect(physicalName('Logs', template)).toBe('/aws/lambda/podplane-kubelet');
    expect(physicalName('PathRole', template)).toBe('runner');
  });

  it('stands in for generated names deterministically, per stack', () => {
    expect(physicalName('Table', template)).toBe('podplane-Table-SAMPLE');
    expect(physicalName('Table', template, { ...env, stackName: 'other' })).toBe('other-Table-SAMPLE');
    expect(physicalName('Fifo', template)).toBe('podplane-Fifo-SAMPLE.fifo');
  });

  it('refuses a logical id the template does not have', () => {
    expect(() => physicalName('Missing', template)).toThrow(UnresolvableIntrinsic);
  });
});

const env = { account: '111122223333', region: 'us-east-1', stackName: 'podplane', partition: 'aws' };

describe('Ref and Fn::GetAtt of resources', () => {
  it.each([
    [{ Ref: 'Table' }, 'podplane-Table-SAMPLE'],
    [
      { 'Fn::GetAtt': ['Table', 'Arn'] },
      'arn:aws:dynamodb:us-east-1:111122223333:table/podplane-Table-SAMPLE',
    ],
    [
      { 'Fn::GetAtt': ['Table', 'StreamArn'] },
      'arn:aws:dynamodb:us-east-1:111122223333:table/podplane-Table-SAMPLE/stream/2026-01-01T00:00:00.000',
    ],
    [{ 'Fn::GetAtt': ['Role', 'Arn'] }, 'arn:aws:iam::111122223333:role/podplane-Role-SAMPLE'],
    [{ 'Fn::GetAtt': 'PathRole.Arn' }, 'arn:aws:iam::111122223333:role/service/runner'],
    [{ Ref: 'Queue' }, 'https://sqs.us-east-1.amazonaws.com/111122223333/podplane-Queue-SAMPLE'],
    [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, 'arn:aws:sqs:us-east-1:111122223333:podplane-Queue-SAMPLE'],
    [{ 'Fn::GetAtt': ['Queue', 'QueueName'] }, 'podplane-Queue-SAMPLE'],
    [{ 'Fn::GetAtt': ['Fn', 'Arn'] }, 'arn:aws:lambda:us-east-1:111122223333:function:podplane-Fn-SAMPLE'],
    [{ 'Fn::GetAtt': ['Cluster', 'Arn'] }, 'arn:aws:ecs:us-east-1:111122223333:cluster/shared-ecs'],
    [
      { 'Fn::GetAtt': ['Logs', 'Arn'] },
      'arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/podplane-kubelet:*',
    ],
    [{ Ref: 'Secret' }, 'arn:aws:secretsmanager:us-east-1:111122223333:secret:podplane/token/admin-Sample'],
    [{ Ref: 'Group' }, 'podplane-Group-SAMPLE'],
    [{ Ref: 'Rule' }, 'podplane-Rule-SAMPLE'],
    [{ 'Fn::GetAtt': ['Rule', 'Arn'] }, 'arn:aws:events:us-east-1:111122223333:rule/podplane-Rule-SAMPLE'],
    [
      { 'Fn::GetAtt': ['Alarm', 'Arn'] },
      'arn:aws:cloudwatch:us-east-1:111122223333:alarm:podplane-Alarm-SAMPLE',
    ],
    [{ 'Fn::GetAtt': ['Sg', 'VpcId'] }, 'vpc-0123456789abcdef0'],
    [{ 'Fn::GetAtt': ['Grant', 'Token'] }, 'Grant.Token-SAMPLE'],
  ])('%j is %s', (value, expected) => {
    expect(resolveIntrinsics(value, template)).toBe(expected);
  });

  it('gives EC2, KMS and API Gateway ids their services’ shapes, the same each time', () => {
    expect(refOf('Sg', template)).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(getAtt('Sg', 'GroupId', template)).toBe(refOf('Sg', template));
    expect(refOf('Subnet', template)).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(refOf('Subnet', template)).not.toBe(refOf('Sg', template).replace('sg', 'subnet'));
    expect(getAtt('Key', 'Arn', template)).toMatch(
      /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(refOf('Api', template)).toMatch(/^[0-9a-f]{10}$/);
    expect(getAtt('Api', 'RootResourceId', template)).not.toBe(refOf('Api', template));
  });

  it('follows the partition and region it is given', () => {
    const china = {
      account: '111122223333',
      region: 'cn-north-1',
      stackName: 'podplane',
      partition: 'aws-cn',
    };
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['Fn', 'Arn'] }, template, china)).toBe(
      'arn:aws-cn:lambda:cn-north-1:111122223333:function:podplane-Fn-SAMPLE',
    );
    expect(resolveIntrinsics({ Ref: 'Queue' }, template, china)).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/podplane-Queue-SAMPLE',
    );
  });

  it('says which attribute it does not model instead of guessing', () => {
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Table', 'Nonsense'] }, template)).toThrow(
      /Table\.Nonsense \(AWS::DynamoDB::Table\)/,
    );
  });
});

describe('functions and pseudo parameters', () => {
  it('joins, subs, selects and splits', () => {
    const value = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: 'Api' },
          '/*/GET/',
        ],
      ],
    };
    expect(resolveIntrinsics(value, template)).toBe(
      `arn:aws:execute-api:us-east-1:111122223333:${refOf('Api', template)}/*/GET/`,
    );
    expect(
      resolveIntrinsics(
        { 'Fn::Sub': ['${Table.Arn}/index/${Name}-${!Literal}', { Name: { Ref: 'Stage' } }] },
        template,
      ),
    ).toBe('arn:aws:dynamodb:us-east-1:111122223333:table/podplane-Table-SAMPLE/index/prod-${Literal}');
    expect(resolveIntrinsics({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, template)).toBe('b');
    expect(resolveIntrinsics({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, template)).toBe('us-east-1a');
    expect(resolveIntrinsics({ 'Fn::FindInMap': ['Sizes', 'small', 'cpu'] }, template)).toBe('256');
    expect(resolveIntrinsics({ 'Fn::ImportValue': { 'Fn::Sub': '${AWS::StackName}-vpc' } }, template)).toBe(
      'imported:podplane-vpc',
    );
    expect(resolveIntrinsics({ 'Fn::Base64': { Ref: 'AWS::StackName' } }, template)).toBe(
      Buffer.from('podplane').toString('base64'),
    );
  });

  it('evaluates Fn::If through the Conditions section and drops AWS::NoValue', () => {
    const value = {
      A: { 'Fn::If': ['InUsEast1', 'yes', 'no'] },
      B: { 'Fn::If': ['NotInUsEast1', 'yes', { Ref: 'AWS::NoValue' }] },
      C: ['x', { 'Fn::If': ['NotInUsEast1', 'y', { Ref: 'AWS::NoValue' }] }],
    };
    expect(resolveIntrinsics(value, template)).toEqual({ A: 'yes', C: ['x'] });
  });

  it('resolves pseudo parameters and parameters', () => {
    expect(
      resolveIntrinsics(
        ['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'Stage'].map(
          (name) => ({ Ref: name }),
        ),
        template,
      ),
    ).toEqual(['111122223333', 'us-east-1', 'aws', 'amazonaws.com', 'podplane', 'prod']);
    expect(resolveIntrinsics({ Ref: 'AWS::StackId' }, template)).toMatch(
      /^arn:aws:cloudformation:us-east-1:111122223333:stack\/podplane\//,
    );
    expect(resolveIntrinsics({ Ref: 'Ami' }, template)).toMatch(/^ami-[0-9a-f]{17}$/);
  });

  it('leaves an IAM statement’s Condition block alone while resolving inside it', () => {
    const statement = {
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': ['Cluster', 'Arn'] } } },
    };
    expect(resolveIntrinsics(statement, template)).toEqual({
      ...statement,
      Condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:111122223333:cluster/shared-ecs' } },
    });
  });
});

describe('environmentOf', () => {
  it("takes the account and region a stack was synthesized for from its ARNs, else the sample's", () => {
    const pinned = {
      Resources: {
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            SourceArn: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:123456789012:', 'abc/*'],
              ],
            },
          },
        },
      },
    };
    expect(environmentOf(pinned)).toEqual({ ...env, account: '123456789012', region: 'eu-west-1' });
    expect(environmentOf(template)).toEqual(env);
  });
});
