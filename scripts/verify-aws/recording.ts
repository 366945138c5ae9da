import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedCall } from '../../functions/adapters/call-recorder';

/** Where the integration and e2e runs write the calls they see (one file per process). */
export const recordedCallsDirectory = resolve(
  fileURLToPath(new URL('../../', import.meta.url)),
  'node_modules/.cache/podplane/aws-calls',
);

/** A run starts from nothing, so what the check reads is that run's calls alone. */
export function clearRecordedCalls(directory = recordedCallsDirectory): void {
  rmSync(directory, { recursive: true, force: true });
}

/** Every distinct call the last run recorded; none when nothing ran with recording on. */
export function readRecordedCalls(directory = recordedCallsDirectory): RecordedCall[] {
  if (!existsSync(directory)) return [];
  const distinct = new Map<string, RecordedCall>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.jsonl')))
    for (const line of readFileSync(join(directory, file), 'utf8').split('\n'))
      if (line.trim() !== '') distinct.set(line, JSON.parse(line) as RecordedCall);
  return [...distinct.values()];
}
