/**
 * Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1G`, `1e3`) reduced to the integer
 * units podplane accounts in: CPU in millicores, memory in bytes.
 */

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const quantityPattern =
  /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The quantity's value as a number, or undefined when it is not a valid quantity. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const match = quantityPattern.exec(text.trim());
  if (!match) return undefined;
  const [, digits, suffix = '', exponent] = match;
  const value = Number(digits);
  if (exponent !== undefined) return value * 10 ** Number(exponent);
  return value * (binarySuffixes[suffix] ?? decimalSuffixes[suffix] ?? 1);
}

/** CPU in millicores, rounded up as the scheduler does (0.1m is 1m). */
export function cpuMillis(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const value = parseQuantity(quantity);
  return value === undefined ? 0 : Math.ceil(value * 1000 - 1e-9);
}

/** Memory in bytes, rounded up. */
export function memoryBytes(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const value = parseQuantity(quantity);
  return value === undefined ? 0 : Math.ceil(value - 1e-9);
}

export const mebibytes = (bytes: number) => Math.ceil(bytes / 2 ** 20);
