import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { PodNetworking } from '../functions/core/ecs/task-definition';
import { startControlPlane } from '../local/control-plane';
import { nodeCpuFromFlag, nodeMemoryMiBFromFlag } from '../local/ecs-simulator/options';
import { describeFaultKinds, type FaultOptions, parseFaultSpec } from '../local/faults';

const usage = `Usage: npm start -- [options]

Runs the podplane control plane on this machine: DynamoDB Local, the ECS simulator and the
real Lambda handlers, with the Kubernetes API on HTTPS.

Options:
  --port N            HTTPS port (default 8080; 0 picks a free one)
  --data-dir DIR      keep the state in DIR (DynamoDB's tables, the ECS simulator's
                      tasks, the timer queue): a restart, even after kill -9, resumes
                      where it stopped (default: in memory)
  --nodes N           simulated ECS container instances (default 3)
  --node-cpu C        CPU per node: vCPUs or a quantity, e.g. 4, 0.5 or 4000m (default 4)
  --node-memory M     memory per node: MiB or a quantity, e.g. 8192, 8Gi, 8192Mi or 8G
                      (default 8Gi)
  --kubeconfig PATH   where to write the kubeconfig (default .podplane/kubeconfig)
  --state-dir DIR     CA, token and kubeconfig directory (default .podplane)
  --fargate           add a Fargate pool: one virtual node (tainted; pods opt in)
  --scoring-strategy S  LeastAllocated (default, spreads) or MostAllocated (bin-packs)
  --scheduler-names A,B further scheduler names podplane's scheduler answers to besides
                      default-scheduler (pods for other names wait for their scheduler)
  --pod-networking N  awsvpc (default: every pod its own address) or bridge (pods
                      share their node's address and publish host ports)
  --bundled           run the bundles \`cdk synth\` writes (each in a worker thread with
                      its template's environment) instead of the handlers' sources
  --log-level LEVEL   Lambda handler log level (default WARN)
  --time-scale X      real seconds per simulated second (default 1; 0.1 runs task
                      lifetimes, restart back-offs and probe periods 10 times faster)
  --faults SPEC       inject faults once started: kind=rate pairs, e.g.
                      crash=0.05,drop=0.02,throttle=0.05 (a rate is a probability per
                      invocation, delivery, call or task), or "default" for a mix of
                      every kind ("default,vanish=0" changes one). Kinds:
${describeFaultKinds('                      ')}
                      An injected timeout waits the function's timeout times
                      --time-scale before the retry.
  --seed N            seed of the fault draws (default: random, printed); the same
                      seed draws the same faults
  -h, --help          show this help
`;

// An unknown option or a stray word is a usage error (exit 2), not a stack trace.
const { values } = orExit(() =>
  parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      'data-dir': { type: 'string' },
      nodes: { type: 'string', default: '3' },
      'node-cpu': { type: 'string', default: '4' },
      'node-memory': { type: 'string', default: '8Gi' },
      kubeconfig: { type: 'string' },
      'state-dir': { type: 'string', default: '.podplane' },
      'log-level': { type: 'string', default: 'WARN' },
      'scoring-strategy': { type: 'string', default: 'LeastAllocated' },
      'scheduler-names': { type: 'string', default: '' },
      'pod-networking': { type: 'string', default: 'awsvpc' },
      bundled: { type: 'boolean', default: false },
      fargate: { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '1' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);

if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function positiveInteger(flag: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    process.stderr.write(
      `--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${text}"\n`,
    );
    process.exit(2);
  }
  return value;
}

/** Reads the command line with `read`; what it throws is printed, and the exit code is 2. */
function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

// The pinned AWS SDK supports Node 20; its notice about later releases needing Node 22 is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function timeScale(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= 1)) {
    process.stderr.write(`--time-scale must be a number above 0 and at most 1, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

function scoringStrategy(text: string): 'LeastAllocated' | 'MostAllocated' {
  if (text === 'LeastAllocated' || text === 'MostAllocated') return text;
  process.stderr.write(`--scoring-strategy must be LeastAllocated or MostAllocated, got "${text}"\n`);
  process.exit(2);
}

function podNetworking(text: string): PodNetworking {
  if (text === 'awsvpc' || text === 'bridge') return text;
  process.stderr.write(`--pod-networking must be awsvpc or bridge, got "${text}"\n`);
  process.exit(2);
}

function faultOptions(spec: string | undefined, seed: string | undefined): FaultOptions | undefined {
  if (spec === undefined) {
    if (seed !== undefined) {
      process.stderr.write('--seed seeds the fault draws: use it with --faults\n');
      process.exit(2);
    }
    return undefined;
  }
  const rates = orExit(() => parseFaultSpec(spec));
  return {
    spec: rates,
    seed: seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInteger('seed', seed, true),
  };
}

const nodeCpu = orExit(() => nodeCpuFromFlag(values['node-cpu']));
const faults = faultOptions(values.faults, values.seed);
const nodeMemoryMiB = orExit(() => nodeMemoryMiBFromFlag(values['node-memory']));

const started = Date.now();
console.log('podplane: starting the local control plane');
try {
  const plane = await startControlPlane({
    port: positiveInteger('port', values.port, true),
    nodes: positiveInteger('nodes', values.nodes),
    nodeCpu,
    nodeMemoryMiB,
    stateDir: values['state-dir'],
    logLevel: values['log-level'],
    scoringStrategy: scoringStrategy(values['scoring-strategy']),
    schedulerNames: values['scheduler-names']
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    podNetworking: podNetworking(values['pod-networking']),
    bundled: values.bundled,
    fargate: values.fargate,
    timeScale: timeScale(values['time-scale']),
    ...(faults ? { faults } : {}),
    ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    log: (line) => console.log(line),
  });
  const kubeconfig = relative(process.cwd(), plane.kubeconfigPath) || plane.kubeconfigPath;
  const ca = relative(process.cwd(), plane.caCertPath);
  const token = relative(process.cwd(), plane.tokenPath);
  console.log(`
podplane is ready at ${plane.url} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)

Try it:
  kubectl --kubeconfig ${kubeconfig} apply -f examples/nginx.yaml
  kubectl --kubeconfig ${kubeconfig} get pods

or with curl:
  curl --cacert ${ca} -H "Authorization: Bearer $(cat ${token})" \\
       -H 'Content-Type: application/yaml' --data-binary @examples/nginx.yaml \\
       ${plane.url}/api/v1/namespaces/default/pods
  curl --cacert ${ca} -H "Authorization: Bearer $(cat ${token})" ${plane.url}/api/v1/namespaces/default/pods/nginx

Press Ctrl-C to stop.`);

  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\npodplane: ${reason}, stopping`);
    plane.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  // `kill <npm pid>` ends npm and its shell but not this process: notice being orphaned and
  // stop too, so nothing (least of all DynamoDB Local) is left behind.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent process exited');
  }, 500).unref();
  process.on('SIGINT', () => shutdown('SIGINT received'));
  process.on('SIGTERM', () => shutdown('SIGTERM received'));
  process.on('SIGHUP', () => shutdown('SIGHUP received'));
} catch (error) {
  console.error(`podplane: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
