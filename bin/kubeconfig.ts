import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { dynamoTokenStore } from '../functions/adapters/dynamodb/token-store';
import { tokenHash } from '../functions/core/auth/tokens';
import { environmentVariables } from '../functions/wiring';
import { kubeconfigDocument } from '../local/kubeconfig';

const usage = `Usage: npm run --silent kubeconfig -- --stack NAME [--namespace NS ...] [--subject NAME]

Creates a bearer token for a deployed podplane stack, stores its hash in the stack's table, and
prints a kubeconfig that uses it. Without --namespace the token may act in every namespace;
with one or more, only in those. Uses the AWS credentials and region of the environment.

  npm run --silent kubeconfig -- --stack podplane > ~/.kube/podplane
  npm run --silent kubeconfig -- --stack podplane --namespace team-a --subject alice > alice.kubeconfig
`;

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    namespace: { type: 'string', multiple: true },
    subject: { type: 'string' },
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

const namespaces = values.namespace?.length ? values.namespace : ['*'];
const subject = values.subject ?? (namespaces.includes('*') ? 'admin' : `${namespaces[0]}-user`);
const token = randomBytes(24).toString('base64url');
process.env[environmentVariables.table] = table;
await dynamoTokenStore.putGrant(tokenHash(token), { subject, namespaces });
process.stderr.write(
  `created a token for "${subject}" in ${namespaces.includes('*') ? 'every namespace' : namespaces.join(', ')}\n`,
);
process.stdout.write(
  kubeconfigDocument({
    name: values.stack,
    server,
    token,
    user: subject,
    ...(namespaces.includes('*') ? {} : { namespace: namespaces[0] }),
  }),
);
