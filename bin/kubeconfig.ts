import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dynamoTokenStore } from '../functions/adapters/dynamodb/token-store';
import { tokenHash } from '../functions/core/auth/tokens';
import { environmentVariables } from '../functions/wiring';
import { kubeconfigDocument } from '../local/kubeconfig';

const usage = `Usage: npm run --silent kubeconfig -- --stack NAME [--namespace NS ...] [--subject NAME] [--server URL]

Prints a kubeconfig for a deployed podplane stack. For a subject the stack made a token for at
deploy time (podplane:tokens), it reads that token from Secrets Manager. Otherwise it creates a
bearer token, stores its hash in the stack's table, and uses it: without --namespace the token
may act in every namespace; with one or more, only in those. Uses the AWS credentials and region
of the environment.

  npm run --silent kubeconfig -- --stack podplane > ~/.kube/podplane
  npm run --silent kubeconfig -- --stack podplane --subject admin > admin.kubeconfig   # deploy-time token
  npm run --silent kubeconfig -- --stack podplane --namespace team-a --subject alice > alice.kubeconfig
`;

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    namespace: { type: 'string', multiple: true },
    subject: { type: 'string' },
    // LocalStack serves the API under its own host name, not the ApiUrl the stack reports.
    server: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.stack) {
  process.stderr.write(usage);
  process.exit(values.help ? 0 : 2);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const cloudformation = new CloudFormationClient({});
const described = await cloudformation.send(new DescribeStacksCommand({ StackName: values.stack }));
const outputs = Object.fromEntries(
  (described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
);
const server = outputs.ApiUrl?.replace(/\/+$/, '');
const table = outputs.TableName;
if (!server || !table) {
  process.stderr.write(`stack ${values.stack} has no ApiUrl or TableName output: is it a podplane stack?\n`);
  process.exit(1);
}

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
  if (!secret.SecretString) {
    process.stderr.write(`secret ${stored.secretArn} has no value\n`);
    process.exit(1);
  }
  token = secret.SecretString;
  subject = values.subject;
  namespaces = stored.namespaces;
  process.stderr.write(`using the deploy-time token of "${subject}" from Secrets Manager\n`);
} else {
  namespaces = values.namespace?.length ? values.namespace : ['*'];
  subject = values.subject ?? (namespaces.includes('*') ? 'admin' : `${namespaces[0]}-user`);
  token = randomBytes(24).toString('base64url');
  process.env[environmentVariables.table] = table;
  await dynamoTokenStore.putGrant(tokenHash(token), { subject, namespaces });
  process.stderr.write(
    `created a token for "${subject}" in ${namespaces.includes('*') ? 'every namespace' : namespaces.join(', ')}\n`,
  );
}
process.stdout.write(
  kubeconfigDocument({
    name: values.stack,
    server: values.server ?? server,
    token,
    user: subject,
    ...(namespaces.includes('*') ? {} : { namespace: namespaces[0] }),
  }),
);
