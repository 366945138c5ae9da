import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { sleep } from '../../local/processes';
import { call, eventually, processAlive, type RunningControlPlane, startCli } from './control-plane';

// `npm start -- --data-dir D` killed with SIGKILL (the whole process group: the plane and
// DynamoDB Local's Java process) and started again with the same directory loses nothing: the
// pods it held come back Running, none Failed, none restarted — whether the kill came while they
// were being scheduled and launched, or once they all ran.

const podPath = '/api/v1/namespaces/default/pods';
const pods = 60;
/** How long after the restart every pod must be Running (it takes a few seconds on an idle machine). */
const convergeBoundMs = 45_000;

const started: RunningControlPlane[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const plane of started) killGroup(plane);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** SIGKILL to the plane's process group, as a crash (or `kill -9 -PGID`) would. */
function killGroup(plane: RunningControlPlane): void {
  const pid = plane.child.pid;
  if (pid === undefined || !processAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function start(stateDir: string, dataDir: string): Promise<RunningControlPlane> {
  const plane = await startCli(stateDir, ['--nodes', '3', '--data-dir', dataDir], { detached: true });
  started.push(plane);
  return plane;
}

/** What the restarted plane said it found: "ECS simulator: 12 task(s) restored ... (10 running)". */
const restoredLine = (plane: RunningControlPlane) =>
  /ECS simulator: (\d+ task\(s\) restored .*\(\d+ running)/.exec(plane.output())?.[1] ?? 'nothing restored';

/** Kills the whole plane and waits until neither it nor its DynamoDB Local is left. */
async function crash(plane: RunningControlPlane): Promise<void> {
  killGroup(plane);
  await eventually(
    async () => [plane.child.pid ?? 0, plane.dynamoDbPid].filter((pid) => pid > 0 && processAlive(pid)),
    (alive) => alive.length === 0,
    'the killed plane and its DynamoDB Local to be gone',
    10_000,
    20,
  );
}

async function createPods(plane: RunningControlPlane, prefix: string): Promise<void> {
  const created = await Promise.all(
    Array.from({ length: pods }, (_, i) =>
      call(plane, 'POST', podPath, {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${prefix}-${i}` },
          spec: {
            containers: [
              { name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '50m', memory: '32Mi' } } },
            ],
          },
        }),
        contentType: 'application/json',
      }),
    ),
  );
  expect(created.map((r) => r.status)).toEqual(Array(pods).fill(201));
}

async function listPods(plane: RunningControlPlane, prefix: string): Promise<Pod[]> {
  const reply = await call(plane, 'GET', podPath);
  expect(reply.status).toBe(200);
  return reply.json<{ items: Pod[] }>().items.filter((p) => p.metadata?.name?.startsWith(`${prefix}-`));
}

const running = (list: Pod[]) =>
  list.filter(
    (p) =>
      p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready && c.state?.running),
  );

/** The restarted plane's pods once all are Running, and how long after its ready line that took. */
async function convergedAfterRestart(plane: RunningControlPlane, prefix: string) {
  const ready = Date.now();
  const list = await eventually(
    () => listPods(plane, prefix),
    (l) => l.length === pods && running(l).length === pods,
    `all ${pods} pods Running after the restart`,
    convergeBoundMs,
    100,
  );
  return { list, ms: Date.now() - ready };
}

function expectNothingLost(list: Pod[]): void {
  expect(list.filter((p) => p.status?.phase === 'Failed').map((p) => p.metadata?.name)).toEqual([]);
  // No task was lost and replaced: every container still runs its first time.
  expect(list.flatMap((p) => p.status?.containerStatuses ?? []).filter((c) => c.restartCount !== 0)).toEqual(
    [],
  );
}

describe('a control plane with --data-dir, killed with SIGKILL and started again', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'podplane-restart-e2e-'));
  dirs.push(stateDir);

  it('brings back pods killed 0.3 s after they were created: all Running, none Failed', async () => {
    const dataDir = join(stateDir, 'data-early');
    const first = await start(stateDir, dataDir);
    await createPods(first, 'early');
    await sleep(300);
    const before = await listPods(first, 'early');
    await crash(first);

    const restarted = Date.now();
    const second = await start(stateDir, dataDir);
    const { list, ms } = await convergedAfterRestart(second, 'early');
    expectNothingLost(list);
    console.log(
      `restart after a kill 0.3 s in (${running(before).length}/${pods} pods showed Running; ${restoredLine(second)}): all ${pods} Running ${ms} ms after the restarted plane was ready, ${Date.now() - restarted} ms after it was started`,
    );
    await crash(second);
  }, 180_000);

  it('keeps pods that were all Running when it was killed: Running again, the same tasks', async () => {
    const dataDir = join(stateDir, 'data-running');
    const first = await start(stateDir, dataDir);
    const creating = Date.now();
    await createPods(first, 'steady');
    const before = await eventually(
      () => listPods(first, 'steady'),
      (l) => running(l).length === pods,
      'all pods Running before the kill',
      convergeBoundMs,
      100,
    );
    const firstRunMs = Date.now() - creating;
    await crash(first);

    const restarted = Date.now();
    const second = await start(stateDir, dataDir);
    const { list, ms } = await convergedAfterRestart(second, 'steady');
    expectNothingLost(list);
    // The same pods on the same nodes with the same addresses: their tasks were kept, not relaunched.
    const placement = (l: Pod[]) =>
      Object.fromEntries(l.map((p) => [p.metadata?.name, [p.spec?.nodeName, p.status?.podIP]]));
    expect(placement(list)).toEqual(placement(before));
    console.log(
      `restart after all ${pods} were Running (${firstRunMs} ms from their creation; ${restoredLine(second)}): all Running ${ms} ms after the restarted plane was ready, ${Date.now() - restarted} ms after it was started`,
    );

    // Stopped as a user stops it, it leaves no Node or Java process behind.
    expect(await second.interrupt()).toBe(0);
    expect(processAlive(second.dynamoDbPid)).toBe(false);
    for (const plane of started) {
      expect(processAlive(plane.child.pid ?? 0)).toBe(false);
      expect(processAlive(plane.dynamoDbPid)).toBe(false);
    }
  }, 180_000);
});
