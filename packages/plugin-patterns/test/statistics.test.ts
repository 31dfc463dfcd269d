import { describe, expect, it } from 'vitest';
import { binomialTail, poissonTail } from '../src/index.js';

describe('tail probabilities', () => {
  it('poissonTail matches closed forms, and keeps tiny tails', () => {
    expect(poissonTail(0, 2)).toBe(1);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(3, 1)).toBeCloseTo(1 - 2.5 / Math.E, 12);
    // P(X >= 12 | mu = 0.5): the first term dominates, e^-0.5 0.5^12 / 12!
    const first = (Math.exp(-0.5) * 0.5 ** 12) / 479_001_600;
    expect(poissonTail(12, 0.5) / first).toBeGreaterThan(1);
    expect(poissonTail(12, 0.5) / first).toBeLessThan(1.05);
    expect(poissonTail(50, 40)).toBeCloseTo(0.0703, 3);
  });

  it('binomialTail matches closed forms', () => {
    expect(binomialTail(2, 3, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialTail(3, 3, 0.1)).toBeCloseTo(0.001, 12);
    expect(binomialTail(0, 10, 0.3)).toBe(1);
    expect(binomialTail(11, 10, 0.3)).toBe(0);
    expect(binomialTail(7, 9, 0.1)).toBeCloseTo(36 * 1e-7 * 0.81 + 9 * 1e-8 * 0.9 + 1e-9, 12);
  });
});
