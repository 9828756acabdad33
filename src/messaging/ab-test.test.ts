import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignTestGroups,
  chiSquareSurvival,
  decideWinner,
  normalCdf,
  seededRandom,
  type TestGroups,
  type VariantResult,
  type WinnerMetric,
} from './ab-test.ts';

const audience = (size: number) => Array.from({ length: size }, (_, i) => `contact-${String(i).padStart(5, '0')}`);
const abSplit = {
  variants: [
    { key: 'A', weight: 1 },
    { key: 'B', weight: 1 },
  ],
  testPercent: 20,
};

function groupSizes({ assignments, remainder }: TestGroups): Record<string, number> {
  const sizes: Record<string, number> = { remainder: remainder.length };
  for (const key of assignments.values()) sizes[key] = (sizes[key] ?? 0) + 1;
  return sizes;
}

describe('seededRandom', () => {
  it('gives the same stream for the same seed on every run and platform', () => {
    // Pinned: stored campaigns rely on a seed reproducing its split after upgrades.
    const random = seededRandom('kizuna');
    expect([random(), random(), random()]).toEqual([0.8609032607637346, 0.9377832130994648, 0.5917060151696205]);
  });

  it('stays in [0, 1) and spreads evenly', () => {
    const random = seededRandom('uniform');
    const buckets = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = random();
      if (!(x >= 0 && x < 1)) outside++;
      else buckets[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe('assignTestGroups', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const ids = audience(1000);
    const first = assignTestGroups(ids, abSplit, seededRandom('campaign-1'));
    const again = assignTestGroups(ids, abSplit, seededRandom('campaign-1'));
    const other = assignTestGroups(ids, abSplit, seededRandom('campaign-2'));
    expect([...again.assignments]).toEqual([...first.assignments]);
    expect(again.remainder).toEqual(first.remainder);
    expect([...other.assignments]).not.toEqual([...first.assignments]);
  });

  it('makes groups of exact sizes that add up', () => {
    const ids = audience(1000);
    expect(groupSizes(assignTestGroups(ids, abSplit, seededRandom('s')))).toEqual({ A: 100, B: 100, remainder: 800 });
    const threeWays = {
      variants: [
        { key: 'A', weight: 1 },
        { key: 'B', weight: 1 },
        { key: 'C', weight: 1 },
      ],
      testPercent: 20,
    };
    expect(groupSizes(assignTestGroups(ids, threeWays, seededRandom('s')))).toEqual({ A: 67, B: 67, C: 66, remainder: 800 });
    const uneven = {
      variants: [
        { key: 'A', weight: 3 },
        { key: 'B', weight: 1 },
      ],
      testPercent: 10,
    };
    expect(groupSizes(assignTestGroups(audience(7), uneven, seededRandom('s')))).toEqual({ A: 1, remainder: 6 });
    expect(groupSizes(assignTestGroups(audience(403), uneven, seededRandom('s')))).toEqual({ A: 30, B: 10, remainder: 363 });
  });

  it('gives the same groups whatever order the audience arrives in, duplicates included', () => {
    const ids = audience(500);
    const scrambled = [...ids].reverse();
    scrambled.splice(100, 0, ids[3]!, ids[42]!);
    const sorted = assignTestGroups(ids, abSplit, seededRandom('order'));
    const fromScrambled = assignTestGroups(scrambled, abSplit, seededRandom('order'));
    expect(new Map([...fromScrambled.assignments].sort())).toEqual(new Map([...sorted.assignments].sort()));
    expect(fromScrambled.remainder).toEqual(sorted.remainder);
  });

  it('sends a pure split when the test is 100 percent: no remainder', () => {
    const groups = assignTestGroups(audience(101), { ...abSplit, testPercent: 100 }, seededRandom('all'));
    expect(groupSizes(groups)).toEqual({ A: 51, B: 50, remainder: 0 });
  });

  it('rejects a split it cannot make, saying what was expected', () => {
    const ids = audience(10);
    const random = seededRandom('bad');
    expect(() => assignTestGroups(ids, { ...abSplit, testPercent: 0 }, random)).toThrow(/percentage above 0/);
    expect(() => assignTestGroups(ids, { ...abSplit, variants: [{ key: 'A', weight: 1 }] }, random)).toThrow(/at least 2 variants/);
    const duplicate = {
      ...abSplit,
      variants: [
        { key: 'A', weight: 1 },
        { key: 'A', weight: 2 },
      ],
    };
    expect(() => assignTestGroups(ids, duplicate, random)).toThrow(/duplicate variant key "A"/);
    expect(() =>
      assignTestGroups(
        ids,
        {
          ...abSplit,
          variants: [
            { key: 'A', weight: 0 },
            { key: 'B', weight: 1 },
          ],
        },
        random,
      ),
    ).toThrow(/positive weight/);
  });

  it('partitions the audience exactly, each group within one of its quota (property)', () => {
    const split = fc.record({
      weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 5 }),
      testPercent: fc.integer({ min: 1, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 300 }), split, fc.string(), (ids, { weights, testPercent }, seed) => {
        const variants = weights.map((weight, i) => ({ key: `v${i}`, weight }));
        const { assignments, remainder } = assignTestGroups(ids, { variants, testPercent }, seededRandom(seed));
        const unique = new Set(ids);
        expect(assignments.size + remainder.length).toBe(unique.size);
        expect(new Set([...assignments.keys(), ...remainder])).toEqual(unique);
        const testSize = Math.round((unique.size * testPercent) / 100);
        expect(assignments.size).toBe(testSize);
        const sizes = groupSizes({ assignments, remainder });
        const weightSum = weights.reduce((sum, w) => sum + w, 0);
        variants.forEach(({ key, weight }) => {
          expect(Math.abs((sizes[key] ?? 0) - (testSize * weight) / weightSum)).toBeLessThan(1);
        });
      }),
    );
  });
});

describe('statistics', () => {
  it('normalCdf matches the tables, including the far tail', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(2 * normalCdf(-1.96)).toBeCloseTo(0.05, 4);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalCdf(2.5758293035489)).toBeCloseTo(0.995, 12);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 10);
  });

  it('chiSquareSurvival gives 0.05 at the critical values of 1 to 4 degrees of freedom', () => {
    expect(chiSquareSurvival(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(7.814727903251178, 3)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(9.487729036781154, 4)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(0.5, 3)).toBeCloseTo(0.9188914116546758, 10);
    expect(chiSquareSurvival(30, 10)).toBeCloseTo(0.000856641210775, 12);
    expect(chiSquareSurvival(0, 2)).toBe(1);
  });

  it('with one degree of freedom the chi-square tail is the two-sided normal tail (z² = χ²)', () => {
    for (const z of [0.1, 0.8, 1.5, 2.2, 3.3, 5]) expect(chiSquareSurvival(z * z, 1)).toBeCloseTo(2 * normalCdf(-z), 14);
  });
});

describe('decideWinner', () => {
  const ab = (a: number, b: number, sent = 100): VariantResult[] => [
    { key: 'A', sent, successes: a },
    { key: 'B', sent, successes: b },
  ];

  it('names a clear winner with a two-proportion z-test', () => {
    const decision = decideWinner(ab(10, 30));
    expect(decision).toMatchObject({ winner: 'B', significant: true, test: 'two-proportion z-test', rates: { A: 0.1, B: 0.3 } });
    expect(decision.statistic).toBeCloseTo(3.5355, 4);
    expect(decision.pValue).toBeCloseTo(0.000407, 6);
    expect(decision.reason).toBe(
      'B wins at 95% confidence: A 10.0% (10/100), B 30.0% (30/100); two-proportion z-test z = 3.54, p = 0.00041, below the threshold 0.05.',
    );
  });

  it('calls a small difference inconclusive and sends the best rate or the control, as configured', () => {
    const best = decideWinner(ab(10, 11));
    expect(best).toMatchObject({ winner: 'B', significant: false });
    expect(best.pValue).toBeCloseTo(0.8176, 4);
    expect(best.reason).toMatch(
      /^No significant difference at 95% confidence: .* p = 0\.82, not below the threshold 0\.05; sending B, the best rate/,
    );
    const first = decideWinner(ab(10, 11), { ifInconclusive: 'first' });
    expect(first).toMatchObject({ winner: 'A', significant: false });
    expect(first.reason).toMatch(/sending A, the control/);
  });

  it('takes the configured confidence', () => {
    // z ≈ 2.07, p ≈ 0.038: significant at 95 %, not at 99 %.
    expect(decideWinner(ab(20, 33))).toMatchObject({ winner: 'B', significant: true });
    expect(decideWinner(ab(20, 33), { confidence: 0.99, ifInconclusive: 'first' })).toMatchObject({ winner: 'A', significant: false });
  });

  it('never calls a small sample significant, and says why', () => {
    const decision = decideWinner(ab(0, 7, 10));
    expect(decision.pValue).toBeLessThan(0.01);
    expect(decision).toMatchObject({ winner: 'B', significant: false });
    expect(decision.reason).toMatch(/^Too few results for the two-proportion z-test: the expected count for A successes is 3\.5, below 5/);
  });

  it('keeps the control on a tie and when nothing happened', () => {
    expect(decideWinner(ab(25, 25))).toMatchObject({ winner: 'A', significant: false, pValue: 1 });
    expect(decideWinner(ab(0, 0))).toMatchObject({ winner: 'A', significant: false, statistic: 0, pValue: 1 });
  });

  it('tests three or more variants at once with a chi-square test of homogeneity', () => {
    const results = [
      { key: 'A', sent: 500, successes: 50 },
      { key: 'B', sent: 500, successes: 50 },
      { key: 'C', sent: 500, successes: 80 },
    ];
    const decision = decideWinner(results);
    expect(decision).toMatchObject({ winner: 'C', significant: true, test: 'chi-square test of homogeneity' });
    // Expected 60 successes and 440 failures each: χ² = 600/60 + 600/440; with 2 degrees of freedom p = e^(−χ²/2).
    expect(decision.statistic).toBeCloseTo(10 + 600 / 440, 10);
    expect(decision.pValue).toBeCloseTo(Math.exp(-(10 + 600 / 440) / 2), 12);
    expect(decideWinner(results.map((r) => ({ ...r, successes: 50 + (r.key === 'C' ? 5 : 0) })))).toMatchObject({
      winner: 'C',
      significant: false,
    });
  });

  it('rejects results that cannot be counts', () => {
    expect(() => decideWinner([{ key: 'A', sent: 10, successes: 11 }, ...ab(1, 1).slice(1)])).toThrow(/0 ≤ successes ≤ sent/);
    expect(() => decideWinner(ab(1, 1).slice(0, 1))).toThrow(/at least 2 variants/);
    expect(() => decideWinner(ab(1, 1), { confidence: 95 })).toThrow(/between 0 and 1/);
  });
});

/** What the tracking records for one test recipient, reduced to what the winner metrics read. */
interface Engagement {
  humanOpen: boolean;
  machineOpen: boolean;
  click: boolean;
  conversionAfterHours?: number;
}

/** One success per contact: the caller's side of the contract that decideWinner tests proportions of people. */
function isSuccess(metric: WinnerMetric, e: Engagement): boolean {
  if (metric.kind === 'opens') return e.humanOpen;
  if (metric.kind === 'clicks') return e.click;
  return e.conversionAfterHours !== undefined && e.conversionAfterHours <= metric.withinHours;
}

describe('an A/B test from split to winner', () => {
  // A's subject line draws Apple Mail prefetches and clicks; B's draws more people to open it.
  // Conversions: A converts quickly, B mostly after three days.
  function engagement(variant: string, rank: number): Engagement {
    if (variant === 'A') {
      return { humanOpen: rank < 20, machineOpen: rank < 70, click: rank < 15, ...(rank < 12 ? { conversionAfterHours: 10 } : {}) };
    }
    const conversion = rank < 3 ? 10 : rank < 30 ? 100 : undefined;
    return { humanOpen: rank < 40, machineOpen: false, click: rank < 3, ...(conversion ? { conversionAfterHours: conversion } : {}) };
  }

  function runTest(metric: WinnerMetric) {
    const { assignments, remainder } = assignTestGroups(audience(1000), abSplit, seededRandom('campaign-42'));
    const results = abSplit.variants.map(({ key }) => {
      const members = [...assignments].filter(([, variant]) => variant === key).map(([id]) => id);
      const successes = members.filter((_, rank) => isSuccess(metric, engagement(key, rank))).length;
      return { key, sent: members.length, successes };
    });
    const decision = decideWinner(results);
    // After the test window the remainder receives the winner, and only the winner.
    const sends = new Map([...assignments, ...remainder.map((id) => [id, decision.winner] as const)]);
    return { decision, remainder, sends };
  }

  it('picks the winner by the configured metric and sends only the winner to the remainder', () => {
    const byOpens = runTest({ kind: 'opens' });
    expect(byOpens.decision).toMatchObject({ winner: 'B', significant: true, rates: { A: 0.2, B: 0.4 } });
    const byClicks = runTest({ kind: 'clicks' });
    expect(byClicks.decision).toMatchObject({ winner: 'A', significant: true, rates: { A: 0.15, B: 0.03 } });
    const byConversion = runTest({ kind: 'conversion', event: 'Order Completed', withinHours: 72 });
    expect(byConversion.decision).toMatchObject({ winner: 'A', significant: true, rates: { A: 0.12, B: 0.03 } });

    for (const { decision, remainder, sends } of [byOpens, byClicks, byConversion]) {
      expect(remainder).toHaveLength(800);
      expect(new Set(remainder.map((id) => sends.get(id)))).toEqual(new Set([decision.winner]));
      expect(sends.size).toBe(1000);
    }
  });
});
