import { describe, expect, it } from 'vitest';
import { brierScore, calibration, meanAbsoluteError, topKAccuracy } from '../src/models/accuracy.js';
import {
  backtest,
  naiveForecast,
  seasonalForecast,
  seasonalNaiveForecast,
  selectedForecast,
} from '../src/models/forecast.js';

describe('topKAccuracy', () => {
  const predictions = [
    { ranked: ['a', 'b', 'c'], actual: 'b' },
    { ranked: ['a', 'b', 'c'], actual: 'c' },
    { ranked: ['x'], actual: null }, // excluded: no actual
    { ranked: ['a'], actual: 'z' }, // never a hit
  ];

  it('counts hits among the first k, excluding unknown actuals', () => {
    // k=1: no top-1 hit -> 0/3; k=2: 'b' hits -> 1/3; k=3: 'b','c' hit -> 2/3
    expect(topKAccuracy(predictions, 1)).toEqual({ hits: 0, total: 3, accuracy: 0 });
    expect(topKAccuracy(predictions, 2)).toEqual({ hits: 1, total: 3, accuracy: 1 / 3 });
    expect(topKAccuracy(predictions, 3)).toEqual({ hits: 2, total: 3, accuracy: 2 / 3 });
  });

  it('returns null accuracy when nothing is known', () => {
    expect(topKAccuracy([{ ranked: ['a'], actual: null }], 1)).toEqual({ hits: 0, total: 0, accuracy: null });
    expect(topKAccuracy([], 3)).toEqual({ hits: 0, total: 0, accuracy: null });
  });

  it('refuses a k that is not a positive integer', () => {
    expect(() => topKAccuracy(predictions, 0)).toThrow(RangeError);
    expect(() => topKAccuracy(predictions, 1.5)).toThrow(RangeError);
  });
});

describe('brierScore', () => {
  it('is the mean squared error', () => {
    // (0.9-1)^2 + (0.2-0)^2 + (0.5-1)^2 = 0.01 + 0.04 + 0.25 = 0.30; / 3 = 0.1
    const score = brierScore([
      { probability: 0.9, outcome: 1 },
      { probability: 0.2, outcome: 0 },
      { probability: 0.5, outcome: 1 },
    ]);
    expect(score).toBeCloseTo(0.1, 12);
    // perfect and worst cases: 0 and 1
    expect(brierScore([{ probability: 1, outcome: 1 }])).toBe(0);
    expect(brierScore([{ probability: 0, outcome: 1 }])).toBe(1);
  });

  it('returns null for no pairs', () => {
    expect(brierScore([])).toBeNull();
  });

  it('refuses probabilities outside [0,1] or NaN, naming the index', () => {
    expect(() =>
      brierScore([
        { probability: 0.5, outcome: 1 },
        { probability: 1.2, outcome: 0 },
      ]),
    ).toThrow(/index 1/);
    expect(() => brierScore([{ probability: Number.NaN, outcome: 0 }])).toThrow(RangeError);
    expect(() => brierScore([{ probability: -0.1, outcome: 0 }])).toThrow(/index 0/);
  });
});

describe('calibration', () => {
  it('bins equal-width with 1.0 in the last bin', () => {
    // bins=2: [0,0.5) gets 0.2 (0), 0.4 (1) -> mean 0.3, rate 0.5
    //         [0.5,1] gets 0.6 (1), 1.0 (1) -> mean 0.8, rate 1
    const table = calibration(
      [
        { probability: 0.2, outcome: 0 },
        { probability: 0.4, outcome: 1 },
        { probability: 0.6, outcome: 1 },
        { probability: 1, outcome: 1 },
      ],
      2,
    );
    expect(table).toHaveLength(2);
    expect(table[0]).toMatchObject({ from: 0, to: 0.5, count: 2, observedRate: 0.5 });
    expect(table[0]?.meanPredicted).toBeCloseTo(0.3, 12);
    expect(table[1]).toMatchObject({ from: 0.5, to: 1, count: 2, observedRate: 1 });
    expect(table[1]?.meanPredicted).toBeCloseTo(0.8, 12);
  });

  it('defaults to 10 bins with null stats for empty bins', () => {
    // 0.05 -> bin 0; 1.0 -> bin 9; bins 1..8 empty
    const table = calibration([
      { probability: 0.05, outcome: 0 },
      { probability: 1, outcome: 1 },
    ]);
    expect(table).toHaveLength(10);
    expect(table[0]).toMatchObject({ count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(table[5]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
    expect(table[9]).toMatchObject({ count: 1, meanPredicted: 1, observedRate: 1 });
  });

  it('refuses bad bins and bad probabilities', () => {
    expect(() => calibration([], 0)).toThrow(RangeError);
    expect(() => calibration([{ probability: 2, outcome: 1 }])).toThrow(/index 0/);
  });
});

describe('meanAbsoluteError', () => {
  it('averages absolute differences', () => {
    // |1-2| + |2-2| + |3-5| = 1 + 0 + 2 = 3; / 3 = 1
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBe(1);
  });

  it('refuses mismatched lengths and empty input', () => {
    expect(() => meanAbsoluteError([1, 2], [1])).toThrow(RangeError);
    expect(() => meanAbsoluteError([], [])).toThrow(RangeError);
  });
});

describe('naiveForecast / seasonalNaiveForecast', () => {
  it('repeats the last value', () => {
    expect(naiveForecast([3, 1, 4], 3)).toEqual([4, 4, 4]);
    expect(naiveForecast([3], 0)).toEqual([]);
  });

  it('repeats the value one period earlier', () => {
    // period 3, last period = [4, 1, 5] -> [4, 1, 5, 4]
    expect(seasonalNaiveForecast([3, 1, 4, 1, 5], 4, 3)).toEqual([4, 1, 5, 4]);
  });

  it('refuses empty history, bad horizon, too-short history', () => {
    expect(() => naiveForecast([], 1)).toThrow(RangeError);
    expect(() => naiveForecast([1], -1)).toThrow(RangeError);
    expect(() => naiveForecast([1, Number.NaN], 1)).toThrow(/index 1/);
    expect(() => seasonalNaiveForecast([1, 2], 1, 3)).toThrow(RangeError);
  });
});

describe('seasonalForecast (Holt-Winters)', () => {
  it('reproduces an exact linear + seasonal series for any smoothing', () => {
    // [1,3,3,5], period 2: m1=2, m2=4, T=(4-2)/2=1, L=2+1*0.5=2.5,
    // s0 = 1-(2-0.5) = -0.5, s1 = 3-(2+0.5) = 0.5. Updates keep L=4.5, T=1 at t=3.
    // forecast: 4.5+1-0.5=5, 4.5+2+0.5=7, 4.5+3-0.5=7, 4.5+4+0.5=9
    const expected = [5, 7, 7, 9];
    const result = seasonalForecast([1, 3, 3, 5], 4, { period: 2 });
    expect(result.model).toBe('holt-winters');
    result.values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] ?? Number.NaN, 10);
    });
    const other = seasonalForecast([1, 3, 3, 5], 4, { period: 2, alpha: 1, beta: 1, gamma: 0 });
    other.values.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] ?? Number.NaN, 10);
    });
  });

  it('clamps forecasts at zero', () => {
    // [10,8,6,4], period 2: m1=9, m2=5, T=-2, L=9-1=8, s=[0,0]; L=4 at t=3
    // raw forecast 2, 0, -2, -4 -> clamped 2, 0, 0, 0
    const result = seasonalForecast([10, 8, 6, 4], 4, { period: 2 });
    expect(result.model).toBe('holt-winters');
    expect(result.values.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([2, 0, 0, 0]);
  });

  it('falls back to seasonal-naive, then naive, for short history', () => {
    expect(seasonalForecast([3, 1, 4, 1, 5], 2, { period: 3 })).toEqual({
      values: [4, 1],
      model: 'seasonal-naive',
    });
    expect(seasonalForecast([3, 1], 2, { period: 3 })).toEqual({ values: [1, 1], model: 'naive' });
  });

  it('refuses bad smoothing constants', () => {
    expect(() => seasonalForecast([1, 2, 3, 4], 1, { period: 2, alpha: 1.5 })).toThrow(/alpha/);
    expect(() => seasonalForecast([1, 2, 3, 4], 1, { period: 2, gamma: Number.NaN })).toThrow(/gamma/);
  });
});

describe('backtest', () => {
  // weekday pattern, 20 weeks, deterministic noise in [-0.5, 0.5]
  const pattern = [0.2, 0.6, 1, 0.4, 0, -0.8, -1];
  const weekly = Array.from(
    { length: 140 },
    (_, i) => 10 + 5 * (pattern[i % 7] ?? 0) + (((i * 7919) % 11) - 5) / 10,
  );

  it('seasonal model clearly beats naive on a weekly-seasonal series', () => {
    const result = backtest(weekly, { period: 7, from: 28 });
    expect(result.points).toBe(140 - 28);
    expect(result.ratio).not.toBeNull();
    expect(result.ratio ?? 1).toBeLessThan(0.8);
    expect(result.seasonalMae).toBeLessThan(result.naiveMae);
  });

  it('also works for a longer horizon', () => {
    const result = backtest(weekly, { period: 7, horizon: 3, from: 28 });
    expect(result.points).toBe((140 - 28 - 3 + 1) * 3);
    expect(result.ratio ?? 1).toBeLessThan(0.8);
  });

  it('both models are equal on a flat series', () => {
    const flat = new Array<number>(35).fill(4);
    const result = backtest(flat, { period: 7 });
    expect(result.points).toBe(35 - 14);
    expect(result.seasonalMae).toBeCloseTo(0, 10);
    expect(result.naiveMae).toBe(0);
    expect(result.ratio).toBeNull(); // naive MAE is 0: no ratio
  });

  it('hand-checked tiny backtest', () => {
    // [1,3,1,3,1], period 2, from 4: HW state L=2,T=0,s=[-1,1] -> forecast 1; naive 3.
    // actual 1: seasonal MAE 0, naive MAE 2, ratio 0
    const result = backtest([1, 3, 1, 3, 1], { period: 2, from: 4 });
    expect(result.points).toBe(1);
    expect(result.seasonalMae).toBeCloseTo(0, 10);
    expect(result.naiveMae).toBe(2);
    expect(result.ratio).toBeCloseTo(0, 10);
  });

  it('refuses an origin that leaves nothing to evaluate', () => {
    expect(() => backtest([1, 2, 3], { period: 1, from: 3 })).toThrow(RangeError);
    expect(() => backtest([1, 2, 3], { period: 1, from: 0 })).toThrow(RangeError);
    expect(() => backtest([1, 2, 3], { period: 1, horizon: 0 })).toThrow(RangeError);
  });
});

describe('selectedForecast', () => {
  const weekly = [9, 3, 3, 3, 3, 1, 1];

  it('picks seasonal-naive for an exact weekly shape, and forecasts it exactly', () => {
    const history = Array.from({ length: 70 }, (_, i) => weekly[i % 7]!);
    const r = selectedForecast(history, 7);
    expect(r.model).toBe('seasonal-naive');
    expect(r.values).toEqual(Array.from({ length: 7 }, (_, h) => weekly[(70 + h) % 7]!));
    expect(r.candidates.find((c) => c.model === 'seasonal-naive')!.mae).toBe(0);
  });

  it('picks the candidate with the lower recent MAE, and says both', () => {
    // Weekly shape with noise that last week's value copies: a smoothed model does better.
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 8;
    };
    const history = Array.from({ length: 84 }, (_, i) => Math.max(0, 20 + weekly[i % 7]! * 3 + noise()));
    const r = selectedForecast(history, 7);
    const [hw, sn] = r.candidates;
    expect(hw!.mae).not.toBeNull();
    expect(sn!.mae).not.toBeNull();
    expect(r.model).toBe(hw!.mae! < sn!.mae! ? 'holt-winters' : 'seasonal-naive');
    expect(r.values).toHaveLength(7);
    for (const v of r.values) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('falls back to seasonalForecast’s own choice on a short history', () => {
    const r = selectedForecast([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3);
    expect(r.candidates).toEqual([{ model: 'seasonal-naive', mae: null }]);
    expect(r.values).toEqual(seasonalNaiveForecast([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3));
    expect(() => selectedForecast([], 3)).toThrow(RangeError);
  });
});
