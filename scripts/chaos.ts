import { parseArgs } from 'node:util';
import { runChaos } from '../local/faults/chaos/run';

/**
 * `npm run chaos -- --seed N --seconds S`: the pod churn under faults on a local control plane,
 * then the invariants (local/faults/chaos/). Progress on stderr; one JSON line last on stdout;
 * exit 1 on any violation.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `Usage: npm run chaos -- [--seed N] [--seconds S] [options]

  --seed N            seed of the churn and the fault draws (default: random, printed)
  --seconds S         how long the churn runs with faults on (default 60)
  --faults SPEC       the faults, as for npm start (default "default")
  --pods-per-second R pods created per second (default 3)
  --keep N            long-running pods kept to the end (default 20)
  --nodes N           simulated nodes (default 3)
  --time-scale X      the control plane's time scale (default 0.05)
  --settle S          seconds after the faults stop by which every pod must be in its
                      state (default 120)
  --log-level LEVEL   the handlers' log level (default SILENT)
`;

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    faults: { type: 'string', default: 'default' },
    'pods-per-second': { type: 'string', default: '3' },
    keep: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '3' },
    'time-scale': { type: 'string', default: '0.05' },
    settle: { type: 'string', default: '120' },
    'log-level': { type: 'string', default: 'SILENT' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function number(flag: string, text: string, check: (n: number) => boolean): number {
  const value = Number(text);
  if (!check(value)) {
    process.stderr.write(`--${flag}: "${text}" is not a valid value\n${usage}`);
    process.exit(2);
  }
  return value;
}

const seed =
  values.seed === undefined
    ? Math.floor(Math.random() * 2 ** 31)
    : number('seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0);
const report = await runChaos({
  seed,
  seconds: number('seconds', values.seconds, (n) => n > 0),
  faults: values.faults,
  podsPerSecond: number('pods-per-second', values['pods-per-second'], (n) => n > 0),
  keep: number('keep', values.keep, (n) => Number.isInteger(n) && n >= 0),
  nodes: number('nodes', values.nodes, (n) => Number.isInteger(n) && n > 0),
  timeScale: number('time-scale', values['time-scale'], (n) => n > 0 && n <= 1),
  settleSeconds: number('settle', values.settle, (n) => n > 0),
  logLevel: values['log-level'],
  log: (line) => process.stderr.write(`${line}\n`),
});
for (const violation of report.violations) process.stderr.write(`VIOLATION ${violation}\n`);
process.stderr.write(
  report.violations.length === 0
    ? `chaos: no violations (replay with: npm run chaos -- --seed ${seed} --seconds ${report.seconds})\n`
    : `chaos: ${report.violations.length} violation(s); replay with: npm run chaos -- --seed ${seed} --seconds ${report.seconds}\n`,
);
console.log(JSON.stringify(report));
process.exit(report.violations.length === 0 ? 0 : 1);
