import {
  type CfnResource,
  type CfnTemplate,
  environmentOf,
  resolveIntrinsics,
  type SampleEnvironment,
} from './intrinsics';

export { resolveIntrinsics } from './intrinsics';

/** Something a service will be refused at run time although the template deploys. */
export interface ResourceFinding {
  /** The logical id of the resource that will fail (a method, rule, mapping, custom resource…). */
  readonly resource: string;
  readonly problem: string;
}

/**
 * Checks in a synthesized template that every service the stack wires to a function or queue
 * may actually call it: resource policies (Lambda permissions, queue policies) for API Gateway
 * and EventBridge, and the function role's permissions for what Lambda does on its behalf
 * (event source mappings, failure destinations) and for custom resources. Values are compared
 * after resolving intrinsics in one sample account: each logical id gets its own name, so equal
 * strings mean the same resource, and IAM's `*`/`?` wildcards are matched as IAM matches them.
 */
export function checkResourcePermissions(
  template: CfnTemplate,
  env: SampleEnvironment = environmentOf(template),
): ResourceFinding[] {
  const view = new TemplateView(template, env);
  const findings = [
    ...checkApiMethods(view),
    ...checkAuthorizers(view),
    ...checkEventRules(view),
    ...checkQueuePolicies(view),
    ...checkEventSourceMappings(view),
    ...checkInvokeDestinations(view),
    ...checkFunctionRoles(view),
    ...checkCustomResources(view),
  ];
  // A custom resource's Create and Update usually make the same call: one finding for both.
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.resource}\n${f.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type Statement = {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const list = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => String(v));

/** IAM's wildcard match: `*` any run of characters, `?` one; actions case-insensitively. */
export function iamMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const functionNameOf = (nameOrArn: string) => /:function:([^:/]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;

/** A template with its resolved twin, and lookups both sides need. */
class TemplateView {
  readonly resolved: Record<string, CfnResource>;

  constructor(
    readonly template: CfnTemplate,
    readonly env: SampleEnvironment,
  ) {
    this.resolved = this.resolve(template.Resources ?? {}) as Record<string, CfnResource>;
  }

  resolve(value: unknown): unknown {
    return resolveIntrinsics(value, this.template, this.env);
  }

  ofType(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources ?? {}).filter(([, r]) => r.Type === type);
  }

  props(logicalId: string): Record<string, unknown> {
    return this.resolved[logicalId]?.Properties ?? {};
  }

  /** The logical id of the resource of `type` whose resolved value `attribute` gives. */
  findByValue(type: string, value: string, attribute: 'Arn' | 'Ref'): string | undefined {
    return this.ofType(type)
      .map(([id]) => id)
      .find((id) => {
        const actual = this.resolve(attribute === 'Ref' ? { Ref: id } : { 'Fn::GetAtt': [id, 'Arn'] });
        return actual === value;
      });
  }

  functionByArnOrName(value: string): string | undefined {
    const name = functionNameOf(value);
    return this.ofType('AWS::Lambda::Function')
      .map(([id]) => id)
      .find((id) => this.resolve({ Ref: id }) === name);
  }

  /** Every permission statement of a role: attached policies, inline policies. */
  roleStatements(roleId: string): Statement[] {
    const inline = (this.props(roleId).Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? [];
    const roleName = this.resolve({ Ref: roleId });
    const attached = this.ofType('AWS::IAM::Policy')
      .map(([id]) => this.props(id))
      .filter((p) => list(p.Roles).includes(String(roleName)));
    return [...inline, ...attached].flatMap((p) => list0(p.PolicyDocument));
  }

  /** The logical id of a function's role, when it is in the template. */
  roleOfFunction(functionId: string): string | undefined {
    const role = this.template.Resources?.[functionId]?.Properties?.Role;
    const arn = String(this.props(functionId).Role ?? '');
    const byGetAtt = (role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
    return byGetAtt ?? this.findByValue('AWS::IAM::Role', arn, 'Arn');
  }
}

function list0(document: unknown): Statement[] {
  const statements = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement;
  return statements === undefined ? [] : Array.isArray(statements) ? statements : [statements];
}

const actionMatches = (s: Statement, action: string) =>
  s.NotAction !== undefined
    ? !list(s.NotAction).some((p) => iamMatches(p, action, true))
    : list(s.Action).some((p) => iamMatches(p, action, true));

const resourceMatches = (s: Statement, resource: string) =>
  s.NotResource !== undefined
    ? !list(s.NotResource).some((p) => iamMatches(p, resource))
    : list(s.Resource).some((p) => iamMatches(p, resource));

/**
 * Whether identity-policy statements allow `action` on `resource`. Conditions are taken to hold
 * (a conditioned Allow is assumed met, a conditioned Deny not to apply): this is a wiring check,
 * the integrator's IAM simulation evaluates conditions.
 */
function allows(statements: Statement[], action: string, resource: string): boolean {
  const applies = (s: Statement) => actionMatches(s, action) && resourceMatches(s, resource);
  if (statements.some((s) => s.Effect === 'Deny' && !s.Condition && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

function servicePrincipal(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  const services = list((principal as { Service?: unknown } | undefined)?.Service);
  const aws = list((principal as { AWS?: unknown } | undefined)?.AWS);
  return services.includes(service) || aws.includes('*');
}

/** The `aws:SourceArn` (or `aws:SourceAccount`-free) ARN conditions of a statement, if any. */
function sourceArnPatterns(s: Statement): string[] | undefined {
  const patterns: string[] = [];
  for (const [operator, block] of Object.entries(s.Condition ?? {}))
    if (/^Arn(Equals|Like)$|^String(Equals|Like)$/.test(operator))
      for (const [key, value] of Object.entries(block))
        if (key.toLowerCase() === 'aws:sourcearn') patterns.push(...list(value));
  return patterns.length ? patterns : undefined;
}

/** Lambda permissions letting `principal` invoke the function from `sourceArn`. */
function lambdaInvokable(view: TemplateView, functionId: string, principal: string, sourceArn: string) {
  return view.ofType('AWS::Lambda::Permission').some(([id]) => {
    const p = view.props(id);
    return (
      ['lambda:InvokeFunction', 'lambda:*'].includes(String(p.Action)) &&
      (p.Principal === principal || p.Principal === '*') &&
      view.functionByArnOrName(String(p.FunctionName)) === functionId &&
      (p.SourceArn === undefined || iamMatches(String(p.SourceArn), sourceArn))
    );
  });
}

const executeApi = (env: SampleEnvironment, rest: string) =>
  `arn:${env.partition}:execute-api:${env.region}:${env.account}:${rest}`;

/** The path API Gateway puts in a method's execute-api ARN, with sample values for variables. */
function resourcePath(view: TemplateView, resourceId: unknown): string | undefined {
  const ref = (resourceId as { Ref?: string } | undefined)?.Ref;
  if (!ref) return ''; // the root resource (GetAtt RestApi.RootResourceId)
  const resource = view.template.Resources?.[ref];
  if (resource?.Type !== 'AWS::ApiGateway::Resource') return undefined;
  const parent = resourcePath(view, resource.Properties?.ParentId);
  if (parent === undefined) return undefined;
  const part = String(resource.Properties?.PathPart)
    .replace(/\{[^}]+\+\}/g, 'api/v1/namespaces/default/pods')
    .replace(/\{[^}]+\}/g, 'sample');
  return parent ? `${parent}/${part}` : part;
}

/** The functions a Lambda integration URI invokes, plain or response-streaming. */
function integratedFunction(uri: unknown): string | undefined {
  const match = /:lambda:path\/[0-9-]+\/functions\/(.+)\/(invocations|response-streaming-invocations)$/.exec(
    String(uri ?? ''),
  );
  return match?.[1];
}

function stagesOf(view: TemplateView, restApi: string): string[] {
  return view
    .ofType('AWS::ApiGateway::Stage')
    .map(([id]) => view.props(id))
    .filter((p) => p.RestApiId === restApi)
    .map((p) => String(p.StageName));
}

function checkApiMethods(view: TemplateView): ResourceFinding[] {
  const findings: ResourceFinding[] = [];
  for (const [id] of view.ofType('AWS::ApiGateway::Method')) {
    const method = view.props(id);
    const integration = method.Integration as { Type?: string; Uri?: unknown } | undefined;
    const target = integratedFunction(integration?.Uri);
    if (!integration || !target || !/^AWS(_PROXY)?$/.test(String(integration.Type))) continue;
    const functionId = view.functionByArnOrName(target);
    if (!functionId) {
      findings.push({ resource: id, problem: `integrates a function not in the template: ${target}` });
      continue;
    }
    const path = resourcePath(view, view.template.Resources?.[id]?.Properties?.ResourceId);
    if (path === undefined) {
      findings.push({ resource: id, problem: 'its ResourceId is not a resource of the template' });
      continue;
    }
    const restApi = String(method.RestApiId);
    const stages = stagesOf(view, restApi);
    if (stages.length === 0) findings.push({ resource: id, problem: `REST API ${restApi} has no stage` });
    const verbs =
      method.HttpMethod === 'ANY' ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] : [String(method.HttpMethod)];
    if (method.AuthorizationType === 'CUSTOM') {
      const authorizer = view.findByValue('AWS::ApiGateway::Authorizer', String(method.AuthorizerId), 'Ref');
      if (!authorizer)
        findings.push({
          resource: id,
          problem: `its authorizer ${String(method.AuthorizerId)} is not in the template`,
        });
    }
    for (const stage of stages)
      for (const verb of verbs) {
        const sourceArn = executeApi(view.env, `${restApi}/${stage}/${verb}/${path}`);
        if (!lambdaInvokable(view, functionId, 'apigateway.amazonaws.com', sourceArn))
          findings.push({
            resource: id,
            problem: `API Gateway may not invoke ${functionId} for ${verb} /${path} on stage ${stage}: no AWS::Lambda::Permission for apigateway.amazonaws.com whose SourceArn matches ${sourceArn}`,
          });
      }
  }
  return findings;
}

function checkAuthorizers(view: TemplateView): ResourceFinding[] {
  const findings: ResourceFinding[] = [];
  for (const [id] of view.ofType('AWS::ApiGateway::Authorizer')) {
    const authorizer = view.props(id);
    const target = integratedFunction(authorizer.AuthorizerUri);
    // With AuthorizerCredentials API Gateway calls as that role, not under a resource policy.
    if (!target || authorizer.AuthorizerCredentials !== undefined) continue;
    const functionId = view.functionByArnOrName(target);
    if (!functionId) {
      findings.push({ resource: id, problem: `authorizes with a function not in the template: ${target}` });
      continue;
    }
    const authorizerId = view.resolve({ Ref: id });
    const sourceArn = executeApi(
      view.env,
      `${String(authorizer.RestApiId)}/authorizers/${String(authorizerId)}`,
    );
    if (!lambdaInvokable(view, functionId, 'apigateway.amazonaws.com', sourceArn))
      findings.push({
        resource: id,
        problem: `API Gateway may not invoke the authorizer function ${functionId}: no AWS::Lambda::Permission whose SourceArn matches ${sourceArn}`,
      });
  }
  return findings;
}

/** Whether a queue's policies let `service` send to it from `sourceArn`. */
function queueAccepts(view: TemplateView, queueId: string, service: string, sourceArn: string): boolean {
  const url = String(view.resolve({ Ref: queueId }));
  const arn = String(view.resolve({ 'Fn::GetAtt': [queueId, 'Arn'] }));
  const statements = view
    .ofType('AWS::SQS::QueuePolicy')
    .map(([id]) => view.props(id))
    .filter((p) => list(p.Queues).includes(url))
    .flatMap((p) => list0(p.PolicyDocument));
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || !servicePrincipal(s.Principal, service)) return false;
    if (!actionMatches(s, 'sqs:SendMessage') || !resourceMatches(s, arn)) return false;
    const sources = sourceArnPatterns(s);
    return !sources || sources.some((p) => iamMatches(p, sourceArn));
  });
}

function checkEventRules(view: TemplateView): ResourceFinding[] {
  const findings: ResourceFinding[] = [];
  for (const [id] of view.ofType('AWS::Events::Rule')) {
    const rule = view.props(id);
    const ruleArn = String(view.resolve({ 'Fn::GetAtt': [id, 'Arn'] }));
    const targets =
      (rule.Targets as { Arn: string; RoleArn?: string; DeadLetterConfig?: { Arn?: string } }[]) ?? [];
    for (const target of targets) {
      const destinations = [
        target.Arn,
        ...(target.DeadLetterConfig?.Arn ? [target.DeadLetterConfig.Arn] : []),
      ];
      for (const arn of destinations) {
        const kind = arn === target.Arn ? 'target' : 'dead-letter queue';
        if (arn.includes(':lambda:') && !target.RoleArn) {
          const functionId = view.functionByArnOrName(arn);
          if (!functionId)
            findings.push({ resource: id, problem: `${kind} ${arn} is not a function of the template` });
          else if (!lambdaInvokable(view, functionId, 'events.amazonaws.com', ruleArn))
            findings.push({
              resource: id,
              problem: `EventBridge may not invoke ${functionId}: no AWS::Lambda::Permission for events.amazonaws.com with SourceArn ${ruleArn}`,
            });
        } else if (arn.includes(':sqs:') && (kind !== 'target' || !target.RoleArn)) {
          const queueId = view.findByValue('AWS::SQS::Queue', arn, 'Arn');
          if (!queueId)
            findings.push({ resource: id, problem: `${kind} ${arn} is not a queue of the template` });
          else if (!queueAccepts(view, queueId, 'events.amazonaws.com', ruleArn))
            findings.push({
              resource: id,
              problem: `EventBridge may not send to its ${kind} ${queueId}: no queue policy allows events.amazonaws.com sqs:SendMessage from ${ruleArn}`,
            });
        }
      }
    }
  }
  return findings;
}

function checkQueuePolicies(view: TemplateView): ResourceFinding[] {
  const findings: ResourceFinding[] = [];
  for (const [id] of view.ofType('AWS::SQS::QueuePolicy')) {
    const policy = view.props(id);
    const queues = list(policy.Queues);
    const queueIds = queues.map((url) => view.findByValue('AWS::SQS::Queue', url, 'Ref'));
    queues.forEach((url, i) => {
      if (!queueIds[i])
        findings.push({ resource: id, problem: `applies to ${url}, not a queue of the template` });
    });
    const arns = queueIds.flatMap((q) => (q ? [String(view.resolve({ 'Fn::GetAtt': [q, 'Arn'] }))] : []));
    for (const s of list0(policy.PolicyDocument))
      if (s.Resource !== undefined && !arns.some((arn) => resourceMatches(s, arn)))
        findings.push({
          resource: id,
          problem: `a statement's Resource ${JSON.stringify(s.Resource)} names none of its queues (${arns.join(', ')})`,
        });
  }
  return findings;
}

/** What Lambda does as the function's role to poll each kind of event source. */
function pollerActions(sourceArn: string): { actions: string[]; resource: string }[] {
  if (/:dynamodb:.*\/stream\//.test(sourceArn))
    return [
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resource: sourceArn,
      },
      { actions: ['dynamodb:ListStreams'], resource: sourceArn },
    ];
  if (sourceArn.includes(':sqs:'))
    return [
      {
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resource: sourceArn,
      },
    ];
  if (sourceArn.includes(':kinesis:'))
    return [
      {
        actions: [
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:DescribeStream',
          'kinesis:ListShards',
        ],
        resource: sourceArn,
      },
    ];
  return [];
}

/** What Lambda does as the function's role to deliver to a failure destination. */
function destinationActions(destination: string): string[] {
  if (destination.includes(':sqs:')) return ['sqs:SendMessage'];
  if (destination.includes(':sns:')) return ['sns:Publish'];
  if (destination.includes(':lambda:')) return ['lambda:InvokeFunction'];
  if (destination.includes(':events:')) return ['events:PutEvents'];
  return [];
}

function roleMustAllow(
  view: TemplateView,
  owner: string,
  functionRef: string,
  needs: { actions: string[]; resource: string }[],
  why: string,
): ResourceFinding[] {
  const functionId = view.functionByArnOrName(functionRef);
  if (!functionId)
    return [{ resource: owner, problem: `its function ${functionRef} is not in the template` }];
  const roleId = view.roleOfFunction(functionId);
  if (!roleId) return [{ resource: owner, problem: `${functionId} has no role in the template` }];
  const statements = view.roleStatements(roleId);
  return needs.flatMap(({ actions, resource }) =>
    actions
      .filter((action) => !allows(statements, action, resource))
      .map((action) => ({
        resource: owner,
        problem: `${functionId}'s role ${roleId} lacks ${action} on ${resource} (${why})`,
      })),
  );
}

function checkEventSourceMappings(view: TemplateView): ResourceFinding[] {
  return view.ofType('AWS::Lambda::EventSourceMapping').flatMap(([id]) => {
    const mapping = view.props(id);
    const source = String(mapping.EventSourceArn ?? '');
    const onFailure = (mapping.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    const needs = [
      ...pollerActions(source),
      ...(onFailure ? [{ actions: destinationActions(onFailure), resource: onFailure }] : []),
    ];
    return roleMustAllow(
      view,
      id,
      String(mapping.FunctionName),
      needs,
      'Lambda polls and reports as the role',
    );
  });
}

function checkInvokeDestinations(view: TemplateView): ResourceFinding[] {
  return view.ofType('AWS::Lambda::EventInvokeConfig').flatMap(([id]) => {
    const config = view.props(id);
    const destinations = (config.DestinationConfig ?? {}) as Record<string, { Destination?: string }>;
    const needs = Object.values(destinations).flatMap((d) =>
      d.Destination ? [{ actions: destinationActions(d.Destination), resource: d.Destination }] : [],
    );
    return roleMustAllow(view, id, String(config.FunctionName), needs, 'asynchronous invocation destination');
  });
}

/** Whether a role's trust policy lets `principal` (a service, or a role ARN) assume it. */
function trusts(view: TemplateView, roleId: string, principal: { service?: string; arn?: string }): boolean {
  return list0(view.props(roleId).AssumeRolePolicyDocument).some((s) => {
    if (s.Effect !== 'Allow' || !actionMatches(s, 'sts:AssumeRole')) return false;
    if (s.Principal === '*') return true;
    const p = s.Principal as { Service?: unknown; AWS?: unknown } | undefined;
    if (principal.service) return list(p?.Service).includes(principal.service);
    const arn = principal.arn ?? '';
    const account = `arn:${view.env.partition}:iam::${view.env.account}:root`;
    return list(p?.AWS).some((a) => a === arn || a === account || a === view.env.account || a === '*');
  });
}

function checkFunctionRoles(view: TemplateView): ResourceFinding[] {
  return view.ofType('AWS::Lambda::Function').flatMap(([id]) => {
    const roleId = view.roleOfFunction(id);
    if (!roleId)
      return [{ resource: id, problem: `its role ${String(view.props(id).Role)} is not in the template` }];
    return trusts(view, roleId, { service: 'lambda.amazonaws.com' })
      ? []
      : [{ resource: id, problem: `its role ${roleId} does not trust lambda.amazonaws.com` }];
  });
}

/** An AwsCustomResource call: `{ service, action, assumedRoleArn? }` as JSON in Create/Update/Delete. */
interface SdkCall {
  service: string;
  action: string;
  assumedRoleArn?: string;
}

function sdkCalls(properties: Record<string, unknown>): SdkCall[] {
  return ['Create', 'Update', 'Delete'].flatMap((phase) => {
    const text = properties[phase];
    if (typeof text !== 'string') return [];
    try {
      const call = JSON.parse(text) as Partial<SdkCall>;
      return call.service && call.action ? [call as SdkCall] : [];
    } catch {
      return [];
    }
  });
}

/** IAM's prefix for an SDK client name, e.g. `ECS` → `ecs`, `@aws-sdk/client-ecs` → `ecs`. */
const iamPrefix = (service: string) =>
  service
    .replace(/^@aws-sdk\/client-/, '')
    .toLowerCase()
    .replace(/^cloudwatchlogs$/, 'logs');

function checkCustomResources(view: TemplateView): ResourceFinding[] {
  const custom = Object.entries(view.template.Resources ?? {}).filter(
    ([, r]) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource',
  );
  return custom.flatMap(([id]) => {
    const properties = view.props(id);
    const token = String(properties.ServiceToken ?? '');
    const functionId = view.functionByArnOrName(token);
    if (!functionId)
      return [{ resource: id, problem: `its ServiceToken ${token} is not a function of the template` }];
    const roleId = view.roleOfFunction(functionId);
    if (!roleId) return [{ resource: id, problem: `its provider ${functionId} has no role in the template` }];
    const roleArn = String(view.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }));
    const statements = view.roleStatements(roleId);
    if (statements.length === 0)
      return [{ resource: id, problem: `its provider's role ${roleId} has no permissions at all` }];
    // AwsCustomResource: the SDK call it makes, as its role or as the role it assumes.
    return sdkCalls(properties).flatMap((call): ResourceFinding[] => {
      const action = `${iamPrefix(call.service)}:${call.action}`;
      if (!call.assumedRoleArn)
        return allows(statements, action, '*') ||
          statements.some((s) => s.Effect === 'Allow' && actionMatches(s, action))
          ? []
          : [{ resource: id, problem: `its provider's role ${roleId} lacks ${action}` }];
      const assumedId = view.findByValue('AWS::IAM::Role', call.assumedRoleArn, 'Arn');
      const problems: ResourceFinding[] = [];
      if (!allows(statements, 'sts:AssumeRole', call.assumedRoleArn))
        problems.push({
          resource: id,
          problem: `its provider's role ${roleId} may not assume ${call.assumedRoleArn}`,
        });
      if (assumedId && !trusts(view, assumedId, { arn: roleArn }))
        problems.push({ resource: id, problem: `${assumedId} does not trust the provider's role ${roleId}` });
      if (
        assumedId &&
        !view.roleStatements(assumedId).some((s) => s.Effect === 'Allow' && actionMatches(s, action))
      )
        problems.push({ resource: id, problem: `the assumed role ${assumedId} lacks ${action}` });
      return problems;
    });
  });
}
