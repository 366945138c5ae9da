/**
 * The faults the local control plane can inject, each with the rate it happens at. A rate is a
 * probability per occasion: per handler invocation, per delivery, per AWS call, or per task.
 */
export const faultKinds = {
  crash: 'a handler throws after doing its work (per invocation)',
  timeout: 'a handler hangs mid-work until its timeout (per invocation)',
  duplicate: 'a stream batch, SQS batch or ECS event comes twice',
  reorder: 'an ECS task event arrives after the next one',
  delay: 'an ECS task event arrives 1 to 5 s late',
  drop: 'an ECS task event never arrives',
  throttle: 'a DynamoDB call is throttled (per call)',
  cancel: 'a DynamoDB transaction is cancelled: TransactionConflict',
  'ecs-throttle': 'RunTask/StopTask/DescribeTasks: ThrottlingException',
  'ecs-error': 'RunTask/StopTask/DescribeTasks: ServerException (500)',
  'lost-stop': 'StopTask is accepted and the task runs on',
  vanish: 'a launched task vanishes, no STOPPED event (per task)',
} as const;

export type FaultKind = keyof typeof faultKinds;
export type FaultRates = Readonly<Partial<Record<FaultKind, number>>>;

/** `--faults default`: every kind, rare enough that most work still goes through first time. */
export const defaultFaultRates: FaultRates = {
  crash: 0.03,
  timeout: 0.01,
  duplicate: 0.05,
  reorder: 0.05,
  delay: 0.03,
  drop: 0.02,
  throttle: 0.03,
  cancel: 0.02,
  'ecs-throttle': 0.03,
  'ecs-error': 0.02,
  'lost-stop': 0.02,
  vanish: 0.01,
};

const isKind = (name: string): name is FaultKind => Object.hasOwn(faultKinds, name);

/**
 * Reads `crash=0.05,drop=0.02,...`, `default`, or `default,drop=0` (the default mix with changes).
 * Unknown kinds and rates outside [0, 1] are errors, so a typo never silently injects nothing.
 */
export function parseFaultSpec(spec: string): FaultRates {
  const rates: Partial<Record<FaultKind, number>> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part === 'default') {
      Object.assign(rates, defaultFaultRates);
      continue;
    }
    if (part === 'none') continue;
    const [name = '', value, ...rest] = part.split('=');
    if (!isKind(name))
      throw new Error(`unknown fault "${name}"; the kinds are ${Object.keys(faultKinds).join(', ')}`);
    const rate = Number(value);
    if (value === undefined || rest.length > 0 || value.trim() === '' || !(rate >= 0 && rate <= 1))
      throw new Error(`fault ${name} needs a rate from 0 to 1, as in ${name}=0.05; got "${part}"`);
    rates[name] = rate;
  }
  return rates;
}

/** The spec in its canonical form: kinds in declaration order, zero rates left out. */
export function formatFaultRates(rates: FaultRates): string {
  return (Object.keys(faultKinds) as FaultKind[])
    .filter((kind) => (rates[kind] ?? 0) > 0)
    .map((kind) => `${kind}=${rates[kind]}`)
    .join(',');
}

/** The kinds and what each does, for `npm start -- --help`. */
export function describeFaultKinds(indent: string): string {
  const width = Math.max(...Object.keys(faultKinds).map((k) => k.length));
  return Object.entries(faultKinds)
    .map(([kind, what]) => `${indent}${kind.padEnd(width)}  ${what}`)
    .join('\n');
}
