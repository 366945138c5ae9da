import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../local/journal';

// The file the local parts keep their state in with --data-dir: what a restart reads back must be
// what was written, whatever moment the previous process was killed at.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function journalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'podplane-journal-'));
  dirs.push(dir);
  return join(dir, 'state.jsonl');
}

const open = (path: string, log?: (line: string) => void) =>
  Journal.open(path, { format: 'test/1', ...(log ? { log } : {}) });

describe('the journal', () => {
  it('reads back the last value of every key, and nothing of deleted ones', () => {
    const path = journalPath();
    const journal = open(path);
    journal.put('task/a', { status: 'PENDING' });
    journal.put('task/b', { status: 'PENDING' });
    journal.put('task/a', { status: 'RUNNING' });
    journal.delete('task/b');
    journal.put('meta', 1);
    journal.close();

    const again = open(path);
    expect(again.entries('task/')).toEqual([['task/a', { status: 'RUNNING' }]]);
    expect(again.get('meta')).toBe(1);
    again.close();
  });

  it('has written a change by the end of the turn, without a flush or a close', async () => {
    const path = journalPath();
    const journal = open(path);
    journal.put('task/a', { status: 'RUNNING' });
    await Promise.resolve();
    // What a process killed now leaves behind:
    expect(readFileSync(path, 'utf8')).toContain('{"k":"task/a","v":{"status":"RUNNING"}}\n');
    journal.close();
  });

  it('appends one line per key and turn however often it changed, and nothing for an unchanged value', () => {
    const path = journalPath();
    const journal = open(path);
    for (let i = 0; i < 5; i++) journal.put('task/a', { version: i });
    journal.flush();
    journal.put('task/a', { version: 4 });
    journal.flush();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toEqual(['{"k":"#format","v":"test/1"}', '{"k":"task/a","v":{"version":4}}']);
    journal.close();
  });

  it('discards a torn last record, says so, and starts (a write cut short by SIGKILL)', () => {
    const path = journalPath();
    const journal = open(path);
    journal.put('task/a', { status: 'RUNNING' });
    journal.close();
    appendFileSync(path, '{"k":"task/b","v":{"sta');
    const said: string[] = [];

    const again = open(path, (line) => said.push(line));
    expect(again.entries('task/')).toEqual([['task/a', { status: 'RUNNING' }]]);
    expect(said.join('\n')).toMatch(/torn last record/);
    // Opening rewrote the file with its live records only: the torn bytes are gone.
    again.put('task/c', { status: 'PENDING' });
    again.close();
    expect(open(path).entries('task/')).toEqual([
      ['task/a', { status: 'RUNNING' }],
      ['task/c', { status: 'PENDING' }],
    ]);
  });

  it('compacts to the live records as it grows, leaving no temporary file', () => {
    const path = journalPath();
    const journal = open(path);
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 1000; i++) {
      journal.put(`task/${i % 10}`, { i, big });
      journal.flush();
    }
    journal.close();
    // 1000 writes of 10 KB, ten keys: without compaction the file would hold 10 MB.
    expect(readFileSync(path).length).toBeLessThan(5 * 1024 * 1024);
    expect(readdirSync(join(path, '..'))).toEqual(['state.jsonl']);
    expect(
      open(path)
        .entries<{ i: number }>('task/')
        .map(([, v]) => v.i),
    ).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
  });

  it('sets aside a file of another format instead of misreading it', () => {
    const path = journalPath();
    writeFileSync(path, '{"k":"#format","v":"other/9"}\n{"k":"task/a","v":1}\n');
    const said: string[] = [];
    const journal = open(path, (line) => said.push(line));
    expect(journal.entries('task/')).toEqual([]);
    expect(said.join('\n')).toMatch(/not in format test\/1/);
    expect(readdirSync(join(path, '..')).some((name) => name.endsWith('.unreadable'))).toBe(true);
    journal.close();
  });
});
