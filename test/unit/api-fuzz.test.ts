import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../functions/core/api/http';
import { handleApiRequest } from '../../functions/core/api/server';
import { apiHarness, expectNoFault } from './api-harness';
import { mangledJson } from './fuzz-documents';

/**
 * Bad input never costs data or availability: whatever bytes or mangled pods a client sends,
 * the API answers with a Status (never a 5xx) and stores a pod only when it answered 201.
 * FUZZ_RUNS raises the count for a long run (`FUZZ_RUNS=200000 npx vitest run test/unit/api-fuzz`).
 */
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);

const validPod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' }, annotations: { note: 'x' } },
  spec: {
    restartPolicy: 'Always',
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'prod' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/', port: 80 } },
      },
    ],
  },
});

const mangledPod = mangledJson(validPod());

const body = fc.oneof(
  mangledPod,
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
  'application/merge-patch+json',
  'application/json-patch+json',
);

const target = fc.constantFrom(
  ['POST', '/api/v1/namespaces/default/pods'],
  ['PUT', '/api/v1/namespaces/default/pods/web'],
  ['PATCH', '/api/v1/namespaces/default/pods/web'],
  ['POST', '/api/v1/namespaces'],
  ['POST', '/api/v1/namespaces/missing/pods'],
);

describe('the API under arbitrary input', () => {
  it(`never answers 5xx and stores nothing unless it answered 201 (${runs} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        target,
        body,
        contentType,
        fc.constantFrom('Strict', 'Warn', 'Ignore'),
        async ([method, path], text, type, validation) => {
          const { stores, deps } = apiHarness();
          // PUT and PATCH need an existing pod to change.
          if (method !== 'POST') await handleApiRequest(post(JSON.stringify(validPod())), deps);
          const before = JSON.stringify(await stores.pods.listPods());
          const request: ApiRequest = {
            method: method as string,
            path: path as string,
            query: { fieldValidation: validation },
            headers: { 'content-type': type },
            body: text,
          };
          const response = await handleApiRequest(request, deps);
          if (expectNoFault(response)) expect(JSON.stringify(await stores.pods.listPods())).toBe(before);
          if (method === 'POST' && path?.endsWith('/pods') && response.statusCode !== 201)
            expect(JSON.stringify(await stores.pods.listPods())).toBe(before);
        },
      ),
      { numRuns: runs },
    );
  }, 300_000);
});

function post(body: string): ApiRequest {
  return {
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
    query: {},
    headers: { 'content-type': 'application/json' },
    body,
  };
}
