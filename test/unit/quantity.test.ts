import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, memoryBytes, parseQuantity } from '../../functions/core/quantity';

// Kubernetes resource.Quantity: decimal SI suffixes (n u m "" k M G T P E), binary suffixes
// (Ki Mi Gi Ti Pi Ei) and decimal exponents (1e3). CPU is counted in millicores, rounded up
// (Quantity.MilliValue is ceil(q * 1000)); memory in bytes.

describe('cpuMillis', () => {
  it.each([
    ['500m', 500],
    ['1', 1000],
    ['1.5', 1500],
    ['0.1', 100],
    ['2', 2000],
    ['250m', 250],
    ['1e3', 1_000_000],
  ])('reads %s as %i millicores', (quantity, millis) => {
    expect(cpuMillis(quantity)).toBe(millis);
  });

  it('accepts a bare number as cores', () => {
    expect(cpuMillis(2)).toBe(2000);
    expect(cpuMillis(0.25)).toBe(250);
  });

  it('rounds a fraction of a millicore up to the next millicore, as MilliValue does', () => {
    expect(cpuMillis('1u')).toBe(1);
    expect(cpuMillis('100n')).toBe(1);
    expect(cpuMillis('1500u')).toBe(2);
  });

  it('counts a missing or unparseable quantity as 0', () => {
    expect(cpuMillis(undefined)).toBe(0);
    expect(cpuMillis('lots')).toBe(0);
  });
});

describe('memoryBytes', () => {
  it.each([
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1_000_000_000],
    ['1Ki', 1024],
    ['1k', 1000],
    ['1M', 1_000_000],
    ['0.5Gi', 2 ** 29],
    ['1e3', 1000],
    ['1E3', 1000],
    ['129e6', 129_000_000],
    ['1Ti', 2 ** 40],
    ['1024', 1024],
  ])('reads %s as %i bytes', (quantity, bytes) => {
    expect(memoryBytes(quantity)).toBe(bytes);
  });

  it('tells the decimal G (10^9) from the binary Gi (2^30)', () => {
    expect(memoryBytes('1Gi') - memoryBytes('1G')).toBe(73_741_824);
  });

  it('rounds a fractional byte count up', () => {
    expect(memoryBytes('1500m')).toBe(2);
  });

  it('counts a missing or unparseable quantity as 0', () => {
    expect(memoryBytes(undefined)).toBe(0);
    expect(memoryBytes('128MB')).toBe(0);
  });
});

describe('parseQuantity', () => {
  it.each([
    'abc',
    '',
    '   ',
    'Mi',
    '1Mb',
    '1.2.3',
    '1 Mi',
    '1K', // the decimal kilo suffix is lower-case k only
    '1mi',
    '1e',
    '0x10',
    '1Gi1',
  ])('rejects %j as not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it.each([
    ['500m', 0.5],
    ['1.5', 1.5],
    ['+2', 2],
    ['-1', -1],
    ['1e-3', 0.001],
    ['2Ki', 2048],
  ])('reads %s as %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it('rejects a non-finite number', () => {
    expect(parseQuantity(Number.NaN)).toBeUndefined();
    expect(parseQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('quantity round trips', () => {
  it('reads n millicores back as n, whether written as "nm" or as cores', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => {
        expect(cpuMillis(`${n}m`)).toBe(n);
        expect(cpuMillis(String(n / 1000))).toBe(n);
      }),
    );
  });

  it('reads whole cores back as 1000 millicores each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        expect(cpuMillis(String(n))).toBe(n * 1000);
      }),
    );
  });

  it('reads binary and decimal memory suffixes as their exact powers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        expect(memoryBytes(`${n}Ki`)).toBe(n * 2 ** 10);
        expect(memoryBytes(`${n}Mi`)).toBe(n * 2 ** 20);
        expect(memoryBytes(`${n}k`)).toBe(n * 1000);
        expect(memoryBytes(`${n}M`)).toBe(n * 1_000_000);
        expect(memoryBytes(String(n))).toBe(n);
      }),
    );
  });
});
