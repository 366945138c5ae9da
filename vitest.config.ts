import { defineConfig } from 'vitest/config';
import { recordedCallsDirectory } from './scripts/verify-aws/recording';

export default defineConfig({
  test: {
    // The pinned AWS SDK supports Node 20 (the lock file keeps it); its notice about future
    // releases needing Node 22 is known and would only clutter the output.
    // Tests that call handlers directly run them as the local control plane does: no X-Ray
    // daemon to trace to, and no EMF JSON in the test output.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    testTimeout: 30_000,
    setupFiles: ['test/fast-check.setup.ts'],
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // One DynamoDB Local for the project; each file points the adapters at its own table
          // (and the e2e file runs a whole control plane), so each file gets its own process.
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          // Every AWS call a function makes here is written down for `npm run verify:aws`, which
          // checks each against the function's role in the synthesized template.
          env: { PODPLANE_RECORD_AWS_CALLS: recordedCallsDirectory },
        },
      },
      { extends: true, test: { name: 'cdk', include: ['test/cdk/**/*.test.ts'] } },
      // Deploys to LocalStack when Docker and LOCALSTACK_AUTH_TOKEN are there; skipped otherwise.
      { extends: true, test: { name: 'localstack', include: ['test/localstack/**/*.test.ts'] } },
    ],
  },
});
