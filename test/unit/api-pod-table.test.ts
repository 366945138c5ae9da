import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../functions/core/api/http';
import { age, podStatusReason, podTable } from '../../functions/core/api/pod-table';
import { withRowObjects } from '../../functions/core/api/tables';
import type { ContainerStatus, Pod } from '../../functions/core/k8s';

// kubectl's pod printer (pkg/printers/internalversion/printers.go printPod) and its AGE column
// (k8s.io/apimachinery/pkg/util/duration.HumanDuration).

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const minute = 60;
const hour = 60 * minute;
const day = 24 * hour;

const running = (name: string, ready = true): ContainerStatus => ({
  name,
  image: 'x',
  imageID: '',
  ready,
  restartCount: 0,
  state: { running: { startedAt: '2026-03-01T11:00:00Z' } },
});
const waiting = (name: string, reason: string): ContainerStatus => ({
  name,
  image: 'x',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason } },
});
const terminated = (name: string, exitCode: number, reason?: string, signal?: number): ContainerStatus => ({
  name,
  image: 'x',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) } },
});

const pod = (phase: string, statuses: ContainerStatus[] = [], extra: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(45) },
  spec: { containers: statuses.map((s) => ({ name: s.name, image: 'x' })) },
  status: { phase, containerStatuses: statuses },
  ...extra,
});

describe('podStatusReason (the STATUS column)', () => {
  it('shows the phase when no container says more', () => {
    expect(podStatusReason(pod('Running', [running('app')]))).toBe('Running');
    expect(podStatusReason(pod('Pending'))).toBe('Pending');
  });

  it("shows a waiting container's reason", () => {
    expect(podStatusReason(pod('Pending', [waiting('app', 'ContainerCreating')]))).toBe('ContainerCreating');
    expect(podStatusReason(pod('Running', [waiting('app', 'CrashLoopBackOff')]))).toBe('CrashLoopBackOff');
  });

  it("shows a terminated container's reason", () => {
    expect(podStatusReason(pod('Succeeded', [terminated('app', 0, 'Completed')]))).toBe('Completed');
    expect(podStatusReason(pod('Failed', [terminated('app', 137, 'OOMKilled')]))).toBe('OOMKilled');
  });

  it('shows ExitCode:N or Signal:N for a terminated container without a reason', () => {
    expect(podStatusReason(pod('Failed', [terminated('app', 2)]))).toBe('ExitCode:2');
    expect(podStatusReason(pod('Failed', [terminated('app', 137, undefined, 9)]))).toBe('Signal:9');
  });

  it("shows the pod's own status.reason over its phase", () => {
    expect(podStatusReason({ ...pod('Failed'), status: { phase: 'Failed', reason: 'Evicted' } })).toBe(
      'Evicted',
    );
  });

  it('shows Terminating for a running pod that is being deleted', () => {
    const deleting = pod('Running', [running('app')], {});
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: '2026-03-01T12:00:30Z' };
    expect(podStatusReason(deleting)).toBe('Terminating');
  });

  // printPod walks containerStatuses from last to first, so the first container's reason wins.
  it("shows the first container's reason when several containers have one", () => {
    expect(
      podStatusReason(pod('Pending', [waiting('app', 'ErrImagePull'), waiting('side', 'ContainerCreating')])),
    ).toBe('ErrImagePull');
  });

  // Terminating is shown only while the phase is not terminal (podutil.IsPodPhaseTerminal).
  it('shows Completed, not Terminating, for a finished pod that is being deleted', () => {
    const done = pod('Succeeded', [terminated('app', 0, 'Completed')]);
    done.metadata = { ...done.metadata, deletionTimestamp: '2026-03-01T12:00:30Z' };
    expect(podStatusReason(done)).toBe('Completed');
  });
});

describe('age (the AGE column)', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [119, '119s'],
    [2 * minute, '2m'],
    [2 * minute + 10, '2m10s'],
    [9 * minute + 59, '9m59s'],
    [10 * minute, '10m'],
    [10 * minute + 30, '10m'],
    [179 * minute, '179m'],
    [3 * hour, '3h'],
    [8 * hour, '8h'],
    [47 * hour + 59 * minute, '47h'],
    [2 * day, '2d'],
    [8 * day, '8d'],
    [729 * day, '729d'],
  ])('prints %is as %s', (seconds, text) => {
    expect(age(ago(seconds), now)).toBe(text);
  });

  it('prints <unknown> without a creation timestamp', () => {
    expect(age(undefined, now)).toBe('<unknown>');
  });

  it('prints 0s for a timestamp up to a second in the future (clock skew)', () => {
    expect(age(new Date(now.getTime() + 1000).toISOString(), now)).toBe('0s');
  });

  // HumanDuration: hours < 8 print as "%dh%dm" unless the minutes are 0.
  it('prints 3h5m for three hours and five minutes', () => {
    expect(age(ago(3 * hour + 5 * minute), now)).toBe('3h5m');
  });

  // HumanDuration: hours < 24*8 print as "%dd%dh" unless the hours are 0.
  it('prints 2d5h for two days and five hours', () => {
    expect(age(ago(2 * day + 5 * hour), now)).toBe('2d5h');
  });

  // HumanDuration: from two years on, years (and days below eight years).
  it('prints 2y for two years', () => {
    expect(age(ago(730 * day), now)).toBe('2y');
  });

  // HumanDuration: more than a second in the future is "<invalid>".
  it('prints <invalid> for a timestamp well in the future', () => {
    expect(age(new Date(now.getTime() + 60_000).toISOString(), now)).toBe('<invalid>');
  });
});

const tableRequest = (includeObject?: string): ApiRequest => ({
  method: 'GET',
  path: '/api/v1/namespaces/default/pods',
  headers: {},
  query: includeObject === undefined ? {} : { includeObject },
});

describe('podTable', () => {
  it('has the columns kubectl get pods prints, with IP and Node only in -o wide', () => {
    const table = podTable([], now);
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
    ]);
    expect(table.columnDefinitions[0]).toMatchObject({ type: 'string', format: 'name' });
  });

  it('prints one row per pod: name, ready/total, status, restarts, age, IP, node', () => {
    const p: Pod = {
      metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(2 * minute + 10) },
      spec: {
        nodeName: 'i-0abc',
        containers: [
          { name: 'app', image: 'x' },
          { name: 'side', image: 'y' },
        ],
      },
      status: {
        phase: 'Running',
        podIP: '10.0.1.23',
        containerStatuses: [running('app'), { ...running('side', false), restartCount: 2 }],
      },
    };
    const [row] = podTable([p], now).rows;
    expect(row?.cells).toEqual(['web', '1/2', 'Running', '2', '2m10s', '10.0.1.23', 'i-0abc']);
    const rowObject = (includeObject?: string) =>
      withRowObjects(podTable([p], now), tableRequest(includeObject), 'Pod').rows[0]?.object;
    // Metadata is the default; Object (kubectl's --sort-by) carries the whole pod; None nothing.
    expect(rowObject()).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: p.metadata,
    });
    expect(rowObject('Metadata')).toEqual(rowObject());
    expect(rowObject('Object')).toEqual({ apiVersion: 'v1', kind: 'Pod', ...p });
    expect(rowObject('Object')).toMatchObject({ status: { podIP: '10.0.1.23' } });
    expect(rowObject('None')).toBeUndefined();
    expect(() => rowObject('Everything')).toThrow('unrecognized includeObject value: "Everything"');
  });

  it('prints <none> for a pod without IP or node and counts containers without a status', () => {
    const p: Pod = {
      metadata: { name: 'new', creationTimestamp: ago(3) },
      spec: { containers: [{ name: 'app', image: 'x' }] },
      status: { phase: 'Pending' },
    };
    expect(podTable([p], now).rows[0]?.cells).toEqual([
      'new',
      '0/1',
      'Pending',
      '0',
      '3s',
      '<none>',
      '<none>',
    ]);
  });

  // printPod: a restarted pod shows when it last restarted, "2 (5m ago)", from
  // lastState.terminated.finishedAt.
  it('prints restarts with how long ago the last one was', () => {
    const p = pod('Running', [
      {
        ...running('app'),
        restartCount: 2,
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * minute) } },
      },
    ]);
    expect(podTable([p], now).rows[0]?.cells[3]).toBe('2 (5m ago)');
  });
});
