import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bodyOf, objectFromItem } from '../../functions/adapters/dynamodb/items';
import {
  decodeBody,
  encodeBody,
  storedBodyDictionaryV1,
} from '../../functions/adapters/dynamodb/stored-body';
import type { Pod } from '../../functions/core/k8s';
import { storedPod } from '../fixtures';

/** A pod as it looks Running: defaults, managedFields of its creator, a full status. */
function runningPod(name: string): Pod {
  const pod = storedPod(name, { cpu: '10m', memory: '16Mi' });
  const time = '2026-11-30T08:09:46Z';
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      generation: 1,
      managedFields: [
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'v1',
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:spec': {
              'f:containers': {
                'k:{"name":"app"}': {
                  '.': {},
                  'f:image': {},
                  'f:imagePullPolicy': {},
                  'f:name': {},
                  'f:resources': { '.': {}, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } },
                  'f:terminationMessagePath': {},
                  'f:terminationMessagePolicy': {},
                },
              },
              'f:dnsPolicy': {},
              'f:enableServiceLinks': {},
              'f:restartPolicy': {},
              'f:schedulerName': {},
              'f:securityContext': {},
              'f:terminationGracePeriodSeconds': {},
            },
          },
        },
      ],
    },
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'i-0000000000000001' },
    status: {
      phase: 'Running',
      qosClass: 'Burstable',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: time,
      })),
      hostIP: '172.31.0.1',
      hostIPs: [{ ip: '172.31.0.1' }],
      podIP: '10.0.0.1',
      podIPs: [{ ip: '10.0.0.1' }],
      startTime: time,
      containerStatuses: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          imageID: '',
          restartCount: 0,
          started: true,
          ready: true,
          state: { running: { startedAt: '2026-11-30T08:09:46.670Z' } },
        },
      ],
    },
  };
}

describe('stored bodies', () => {
  it('read back as the JSON they were written from', () => {
    const json = JSON.stringify(runningPod('web'));
    expect(decodeBody(encodeBody(json))).toBe(json);
    expect(decodeBody(encodeBody(''))).toBe('');
    const unicode = JSON.stringify({ metadata: { annotations: { note: 'héllo ✓ 日本' } } });
    expect(decodeBody(encodeBody(unicode))).toBe(unicode);
  });

  it('still read when written as JSON text, before bodies were compressed', () => {
    const pod = runningPod('old');
    const { resourceVersion: _rv, ...metadata } = pod.metadata ?? {};
    const item = { pk: 'pods/default', sk: 'old', rv: 42, body: JSON.stringify({ ...pod, metadata }) };
    expect(objectFromItem<Pod>(item)).toEqual({
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: '42' },
    });
  });

  it('refuses a format it does not know instead of guessing', () => {
    expect(() => decodeBody(Buffer.of(9, 1, 2, 3))).toThrow(/unknown format 9/);
    expect(() => decodeBody(42)).toThrow();
  });

  it('keeps a Running pod with its managedFields far below the 1 KB a write unit pays for', () => {
    const pod = runningPod('web-7d9c4b8f5-x2k4p');
    expect(JSON.stringify(pod).length).toBeGreaterThan(1800);
    expect(bodyOf(pod).length).toBeLessThan(400);
  });

  it('compresses with a dictionary that never changes, or items written with it would not read', () => {
    // Changing a word of dictionary v1 makes every stored body unreadable: add a new format instead.
    expect(createHash('sha256').update(storedBodyDictionaryV1).digest('hex')).toBe(
      'fae7f589d1d733f42fcd13a427e5432b721896b770afccb0fbf4745a9aeebe27',
    );
    expect(storedBodyDictionaryV1.length).toBeLessThanOrEqual(32 * 1024);
  });
});
