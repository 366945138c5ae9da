/**
 * The local stand-ins for what a template's references resolve to on AWS, by resource type: a
 * function's environment keeps exactly the template's variable names, with each `Ref`,
 * `Fn::GetAtt` and `Fn::Join` replaced by what the local control plane runs instead.
 */
export interface LocalResources {
  readonly tableName: string;
  readonly clusterName: string;
  readonly podLogGroup: string;
  readonly timerQueueUrl: string;
  readonly podSubnet: string;
  readonly podSecurityGroup: string;
  readonly accountId: string;
  readonly region: string;
}

type Resources = Readonly<Record<string, { Type: string }>>;

/**
 * Resolves one template value; throws for a reference it has no local stand-in for, so a
 * template change that adds one shows up as a clear error instead of a wrong value.
 */
export function resolveTemplateValue(value: unknown, resources: Resources, local: LocalResources): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const [intrinsic, argument] = Object.entries(value)[0] ?? [];
    if (intrinsic === 'Ref') return refOf(String(argument), resources, local);
    if (intrinsic === 'Fn::GetAtt' && Array.isArray(argument))
      return attributeOf(String(argument[0]), String(argument[1]), resources, local);
    if (intrinsic === 'Fn::Join' && Array.isArray(argument)) {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map((part) => resolveTemplateValue(part, resources, local)).join(separator);
    }
  }
  throw new Error(`no local value for ${JSON.stringify(value)}`);
}

function refOf(logicalId: string, resources: Resources, local: LocalResources): string {
  if (logicalId === 'AWS::Region') return local.region;
  if (logicalId === 'AWS::AccountId') return local.accountId;
  if (logicalId === 'AWS::Partition') return 'aws';
  if (logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
  const type = resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return local.tableName;
    case 'AWS::ECS::Cluster':
      return local.clusterName;
    case 'AWS::Logs::LogGroup':
      return local.podLogGroup;
    case 'AWS::SQS::Queue':
      return local.timerQueueUrl;
    case 'AWS::EC2::Subnet':
      return local.podSubnet;
    case 'AWS::EC2::SecurityGroup':
      return local.podSecurityGroup;
    default:
      throw new Error(`no local value for a Ref to ${logicalId} (${type ?? 'not in the template'})`);
  }
}

function attributeOf(
  logicalId: string,
  attribute: string,
  resources: Resources,
  local: LocalResources,
): string {
  const type = resources[logicalId]?.Type;
  if (type === 'AWS::IAM::Role' && attribute === 'Arn')
    return `arn:aws:iam::${local.accountId}:role/${logicalId}`;
  if (type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return local.podSecurityGroup;
  if (type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return local.timerQueueUrl;
  if (type === 'AWS::DynamoDB::Table' && attribute === 'StreamArn')
    return `arn:aws:dynamodb:${local.region}:${local.accountId}:table/${local.tableName}/stream/local`;
  throw new Error(`no local value for ${logicalId}.${attribute} (${type ?? 'not in the template'})`);
}

/** A function's whole environment: every template variable, resolved. */
export function resolveEnvironment(
  functionName: string,
  variables: Readonly<Record<string, unknown>>,
  resources: Resources,
  local: LocalResources,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      try {
        return [name, resolveTemplateValue(value, resources, local)];
      } catch (error) {
        throw new Error(
          `--bundled: ${functionName}'s ${name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }),
  );
}
