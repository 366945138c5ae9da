import fc from 'fast-check';

/**
 * Every property test runs on one fixed seed in `npm test`, so a run fails only because of the
 * change under test, never because a new seed found an old bug. `npm run fuzz` sets FUZZ_SEED to
 * a fresh seed (and prints it), and FUZZ_SEED=N replays a run exactly; a failure found that way
 * becomes a named case in test/unit/api-regressions.test.ts.
 */
export const ciSeed = 20261130;

const seed = process.env.FUZZ_SEED === undefined ? ciSeed : Number(process.env.FUZZ_SEED);
if (!Number.isSafeInteger(seed))
  throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);
fc.configureGlobal({ seed });
