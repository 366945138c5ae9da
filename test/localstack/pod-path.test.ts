import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../local/ecs-simulator';
import {
  deployToLocalStack,
  ensureLocalStack,
  hostAddressForContainers,
  type LocalDeployment,
  localstackUnavailableReason,
  startSimulatorForLocalStack,
} from '../../local/localstack';
import { sleep } from '../../local/processes';

const unavailable = localstackUnavailableReason();
if (unavailable) console.warn(`LocalStack pod path skipped: ${unavailable}`);

/**
 * The deployed stack's pod path on LocalStack: the real API Gateway, authorizer, DynamoDB stream
 * mappings and Lambdas, with the ECS simulator as ECS. Needs Docker and a LocalStack auth token.
 */
describe.skipIf(unavailable !== undefined)(
  unavailable ? `LocalStack pod path (skipped: ${unavailable})` : 'LocalStack pod path',
  () => {
    let simulator: EcsSimulator;
    let deployment: LocalDeployment;
    const stateDir = mkdtempSync(join(tmpdir(), 'podplane-localstack-'));

    beforeAll(async () => {
      await ensureLocalStack(() => undefined);
      simulator = await startSimulatorForLocalStack(0);
      const ecsEndpoint = `http://${hostAddressForContainers()}:${new URL(simulator.endpoint).port}`;
      deployment = await deployToLocalStack({ ecsEndpoint, stateDir, log: () => undefined });
    }, 20 * 60_000);
    afterAll(async () => {
      await simulator?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${deployment.apiUrl}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${deployment.token}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });

    it('answers health checks without a token and refuses requests without one', async () => {
      expect((await fetch(`${deployment.apiUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${deployment.apiUrl}/api/v1/namespaces/default/pods`)).status).toBe(401);
    });

    it(
      'takes a pod from create to Running',
      async () => {
        const name = `nginx-${Date.now()}`;
        const created = await api('/api/v1/namespaces/default/pods', {
          method: 'POST',
          body: JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name },
            spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
          }),
        });
        expect(created.status).toBe(201);
        // Node sync and the reconcile run every minute, and LocalStack sends no ECS task events,
        // so Running can take two of those rounds.
        const deadline = Date.now() + 5 * 60_000;
        let phase: string | undefined;
        while (Date.now() < deadline) {
          const pod = (await (await api(`/api/v1/namespaces/default/pods/${name}`)).json()) as {
            status?: { phase?: string };
          };
          phase = pod.status?.phase;
          if (phase === 'Running') break;
          await sleep(5000);
        }
        expect(phase).toBe('Running');
      },
      6 * 60_000,
    );
  },
);
