import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../lib/context';
import { checkWithCdkNag } from '../lib/nag';
import { PodplaneStack } from '../lib/stack';

const app = new App();
const props = stackPropsFromContext((key) => app.node.tryGetContext(key));

new PodplaneStack(app, props.stackName, {
  ...props,
  // Without `env` the stack is environment-agnostic: it synthesizes offline (no AZ or account
  // lookups) and deploys to whatever account and region the CLI credentials point at. Looking
  // up an existing VPC (podplane:vpcId) needs the account and region, so only then they are set.
  ...(props.vpcId
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});

// cdk-nag's AWS Solutions rules on every synth: an unaccepted finding fails `cdk synth`/`deploy`.
checkWithCdkNag(app);
