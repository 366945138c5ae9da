import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dynamoTokenStore } from '../functions/adapters/dynamodb/token-store';
import { tokenHash } from '../functions/core/auth/tokens';
import { environmentVariables } from '../functions/wiring';
import { kubeconfigDocument, readControlPlaneInfo } from '../local/kubeconfig';

const usage = `Usage: npm run --silent kubeconfig -- --stack NAME [--namespace NS ...] [--subject NAME] [--server URL] [--kubeconfig PATH]
       npm run --silent kubeconfig -- --local [--namespace NS ...] [--subject NAME] [--state-dir DIR] [--kubeconfig PATH]

Prints a kubeconfig (or writes it to --kubeconfig PATH) for a deployed podplane stack, or with
--local for the local control plane that \`npm start\` runs (it must be running; --state-dir is
the one it was started with, default .podplane).

For a subject a stack made a token for at deploy time (podplane:tokens), it reads that token from
Secrets Manager. Otherwise it creates a bearer token, stores its hash in the stack's table (or
the local control plane's), and uses it: without --namespace the token may act in every
namespace; with one or more, only in those. For a stack it uses the AWS credentials and region
of the environment.

  npm run --silent kubeconfig -- --stack podplane > ~/.kube/podplane
  npm run --silent kubeconfig -- --stack podplane --subject admin > admin.kubeconfig   # deploy-time token
  npm run --silent kubeconfig -- --stack podplane --namespace team-a --subject alice > alice.kubeconfig
  npm run --silent kubeconfig -- --local --namespace team-a --subject alice --kubeconfig alice.kubeconfig
`;

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    local: { type: 'boolean', default: false },
    'state-dir': { type: 'string', default: '.podplane' },
    namespace: { type: 'string', multiple: true },
    subject: { type: 'string' },
    // LocalStack serves the API under its own host name, not the ApiUrl the stack reports.
    server: { type: 'string' },
    kubeconfig: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || (!values.stack && !values.local) || (values.stack && values.local)) {
  if (!values.help && values.stack && values.local)
    process.stderr.write('give --stack or --local, not both\n');
  process.stderr.write(usage);
  process.exit(values.help ? 0 : 2);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** A new bearer token for the grant, stored as its hash in the table the environment names. */
async function createToken(): Promise<{ token: string; subject: string; namespaces: string[] }> {
  const namespaces = values.namespace?.length ? values.namespace : ['*'];
  const subject = values.subject ?? (namespaces.includes('*') ? 'admin' : `${namespaces[0]}-user`);
  const token = randomBytes(24).toString('base64url');
  await dynamoTokenStore.putGrant(tokenHash(token), { subject, namespaces });
  process.stderr.write(
    `created a token for "${subject}" in ${namespaces.includes('*') ? 'every namespace' : namespaces.join(', ')}\n`,
  );
  return { token, subject, namespaces };
}

/** A token in a deployed stack's table (or its deploy-time token), and the stack's API. */
async function forStack(stack: string): Promise<string> {
  const cloudformation = new CloudFormationClient({});
  const described = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
  const outputs = Object.fromEntries(
    (described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
  );
  const server = outputs.ApiUrl?.replace(/\/+$/, '');
  const table = outputs.TableName;
  if (!server || !table) fail(`stack ${stack} has no ApiUrl or TableName output: is it a podplane stack?`);

  /** Where the stack keeps its deploy-time tokens (the TokenSecrets output), by subject. */
  const deployTimeTokens = JSON.parse(outputs.TokenSecrets ?? '{}') as Record<
    string,
    { secretArn: string; namespaces: string[] }
  >;
  const stored = values.subject ? deployTimeTokens[values.subject] : undefined;

  let token: string;
  let subject: string;
  let namespaces: string[];
  if (stored && values.subject) {
    if (values.namespace?.length) {
      process.stderr.write(
        `"${values.subject}" has a deploy-time token with namespaces ${stored.namespaces.join(', ')}; drop --namespace (or change podplane:tokens)\n`,
      );
      process.exit(2);
    }
    const secret = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: stored.secretArn }),
    );
    if (!secret.SecretString) fail(`secret ${stored.secretArn} has no value`);
    token = secret.SecretString;
    subject = values.subject;
    namespaces = stored.namespaces;
    process.stderr.write(`using the deploy-time token of "${subject}" from Secrets Manager\n`);
  } else {
    process.env[environmentVariables.table] = table;
    ({ token, subject, namespaces } = await createToken());
  }
  return kubeconfigDocument({
    name: stack,
    server: values.server ?? server,
    token,
    user: subject,
    ...(namespaces.includes('*') ? {} : { namespace: namespaces[0] }),
  });
}

/** A token in the running local control plane's table, and its HTTPS API with its CA. */
async function forLocal(stateDir: string): Promise<string> {
  const info = readControlPlaneInfo(stateDir);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!info || !alive(info.pid))
    fail(`no local control plane is running with state in ${stateDir}: start it with \`npm start\` first`);
  // The control plane's DynamoDB Local, as its handlers reach it; it checks no signatures, and
  // keeps its data under the access key ID the control plane uses.
  Object.assign(process.env, {
    AWS_REGION: info.region,
    AWS_ENDPOINT_URL_DYNAMODB: info.dynamoEndpoint,
    AWS_ACCESS_KEY_ID: info.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'podplane',
    [environmentVariables.table]: info.table,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const { token, subject, namespaces } = await createToken();
  return kubeconfigDocument({
    name: 'podplane-local',
    server: values.server ?? info.url,
    token,
    user: subject,
    caCert: readFileSync(join(stateDir, 'ca.crt'), 'utf8'),
    ...(namespaces.includes('*') ? {} : { namespace: namespaces[0] }),
  });
}

const document = values.local
  ? await forLocal(resolve(values['state-dir']))
  : await forStack(values.stack ?? '');
if (values.kubeconfig) {
  writeFileSync(values.kubeconfig, document, { mode: 0o600 });
  process.stderr.write(`wrote ${values.kubeconfig}\n`);
} else process.stdout.write(document);
