import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

/**
 * `npm run fuzz [-- --seed N] [--cases N] [--rounds N]`: the API fuzz tests on new seeds. Each
 * round prints the seed it ran, so a failure replays exactly (`npm run fuzz -- --seed N`) and
 * becomes a named case in test/unit/api-regressions.test.ts; `npm test` keeps one fixed seed.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    cases: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '1' },
  },
});
const files = ['test/unit/api-fuzz.test.ts', 'test/unit/api-fuzz-routes.test.ts'];
const rounds = Number(values.rounds);
const cases = Number(values.cases);
if (!Number.isSafeInteger(rounds) || rounds < 1 || !Number.isSafeInteger(cases) || cases < 1) {
  console.error('fuzz: --rounds and --cases take whole numbers of at least 1');
  process.exit(2);
}

for (let round = 1; round <= rounds; round++) {
  const seed = values.seed ?? String(randomInt(2 ** 31 - 1));
  const started = Date.now();
  console.log(`fuzz: round ${round}/${rounds}, seed ${seed}, ${cases} cases per property`);
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'unit', ...files], {
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: String(cases) },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    console.log(
      `fuzz: seed ${seed} FAILED after ${seconds} s; replay with: npm run fuzz -- --seed ${seed} --cases ${cases}`,
    );
    process.exit(1);
  }
  console.log(
    `fuzz: seed ${seed} passed, ${cases} cases per property across ${files.length} files, ${seconds} s`,
  );
}
