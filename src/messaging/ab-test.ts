import { createHash } from 'node:crypto';
import { invalidInput } from '../platform/errors.ts';
import type { AbTest } from './campaigns/campaign-schema.ts';

/**
 * What makes a test recipient a success, decided per contact (a yes/no outcome, which the
 * significance tests below assume):
 * - `opens`: opened by a person at least once. Machine opens (Apple Mail Privacy Protection
 *   prefetches, security scanners; events with `machine: true`) are left out, or every Apple
 *   Mail reader would count as an open and drown the difference between subject lines.
 * - `clicks`: clicked a tracked link at least once, link-scanner clicks left out.
 * - `conversion`: tracked `event` within `withinHours` of the message being sent to them.
 * The type is the campaign schema's, so the API and this module cannot drift apart.
 */
export type WinnerMetric = AbTest['metric'];

/** The part of an A/B test definition the split needs. */
export interface TestSplit {
  variants: readonly { key: string; weight: number }[];
  /** Share of the audience in the test, 1–100; the rest (the remainder) later receives only the winner. */
  testPercent: number;
}

export interface TestGroups {
  /** Contact id → variant key, for the contacts in the test. */
  assignments: Map<string, string>;
  /** Contacts outside the test, in id order: they receive the winner after the test window. */
  remainder: string[];
}

/**
 * A deterministic pseudo-random source in [0, 1): sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 128-bit state, passes PractRand) seeded with the first 16 bytes of
 * SHA-256(seed). Hashing spreads similar seeds ("c1", "c2") over the whole state; the counter
 * word rules out a stuck all-zero state. Pure 32-bit integer arithmetic, so a seed gives the
 * same stream on every platform and Node version: a runner that recomputes a split after a
 * restart gets the same groups. Not for secrets.
 * @example const random = seededRandom(campaign.abTest.seed ?? campaign.id);
 */
export function seededRandom(seed: string): () => number {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  let a = digest.readInt32LE(0);
  let b = digest.readInt32LE(4);
  let c = digest.readInt32LE(8);
  let d = digest.readInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The usual warm-up: the first outputs still resemble the seed words.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * Splits an audience: round(testPercent % of it) goes into the test, divided among the
 * variants in proportion to their weights, the rest is the remainder. The ids are de-duplicated
 * and sorted before the seeded shuffle, so the same audience and seed give the same groups in
 * whatever order the database returned them.
 * @example const { assignments, remainder } = assignTestGroups(ids, abTest, seededRandom(seed));
 */
export function assignTestGroups(contactIds: readonly string[], split: TestSplit, random: () => number): TestGroups {
  checkSplit(split);
  const shuffled = [...new Set(contactIds)].sort(compareCodeUnits);
  shuffleInPlace(shuffled, random);
  const testSize = Math.round((shuffled.length * split.testPercent) / 100);
  const sizes = apportion(
    testSize,
    split.variants.map((v) => v.weight),
  );
  const assignments = new Map<string, string>();
  let start = 0;
  split.variants.forEach((variant, i) => {
    const end = start + sizes[i]!;
    for (let j = start; j < end; j++) assignments.set(shuffled[j]!, variant.key);
    start = end;
  });
  return { assignments, remainder: shuffled.slice(testSize).sort(compareCodeUnits) };
}

/** Code-unit order, not localeCompare: the split must not depend on the server's locale or ICU version. */
function compareCodeUnits(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Fisher–Yates. 32-bit randoms bias a pick by at most n / 2^32: nothing for any real audience. */
function shuffleInPlace(items: string[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Largest-remainder (Hamilton) apportionment: every variant gets the floor of its exact
 * quota, the seats left over go to the largest fractional parts (ties: the earlier variant),
 * so each size is within one of its quota and the sizes add up to `total` exactly.
 */
function apportion(total: number, weights: readonly number[]): number[] {
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  const quotas = weights.map((w) => (total * w) / weightSum);
  const sizes = quotas.map(Math.floor);
  const fraction = (i: number) => quotas[i]! - sizes[i]!;
  const order = weights.map((_, i) => i).sort((i, j) => fraction(j) - fraction(i) || i - j);
  let left = total - sizes.reduce((sum, s) => sum + s, 0);
  for (let r = 0; left > 0; r++, left--) sizes[order[r % order.length]!]!++;
  return sizes;
}

function checkSplit({ variants, testPercent }: TestSplit): void {
  if (variants.length < 2) throw invalidInput([{ path: 'variants', message: `expected at least 2 variants, got ${variants.length}` }]);
  variants.forEach((v, i) => {
    if (!(Number.isFinite(v.weight) && v.weight > 0)) {
      throw invalidInput([{ path: `variants.${i}.weight`, message: `expected a positive weight, got ${v.weight}` }]);
    }
  });
  checkUniqueKeys(variants.map((v) => v.key));
  if (!(testPercent > 0 && testPercent <= 100)) {
    throw invalidInput([{ path: 'testPercent', message: `expected a percentage above 0 and at most 100, got ${testPercent}` }]);
  }
}

function checkUniqueKeys(keys: readonly string[]): void {
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (seen.has(key)) throw invalidInput([{ path: `variants.${i}.key`, message: `duplicate variant key "${key}"` }]);
    seen.add(key);
  });
}

/** One variant's outcome after the test window: contacts sent to, and how many of them were a success under the metric. */
export interface VariantResult {
  key: string;
  sent: number;
  successes: number;
}

export type SignificanceTest = 'two-proportion z-test' | 'chi-square test of homogeneity';

export interface WinnerDecision {
  winner: string;
  significant: boolean;
  test: SignificanceTest;
  /** z (second variant minus first) for two variants, χ² for more. */
  statistic: number;
  pValue: number;
  /** Success rate per variant key (0 for a variant sent to nobody). */
  rates: Record<string, number>;
  /** What happened, in plain English, for the campaign's history. */
  reason: string;
}

export interface DecideWinnerOptions {
  /** 1 − the false-positive rate accepted: significant when p < 1 − confidence. */
  confidence?: number;
  /** When no variant wins significantly: send the best rate anyway, or the first variant (the control). */
  ifInconclusive?: 'best' | 'first';
}

/** Below this expected count per cell, the normal approximation behind both tests is unreliable (the usual rule of thumb). */
const MIN_EXPECTED_COUNT = 5;

/**
 * Picks the winner of a test from per-variant success counts. Each recipient is a yes/no
 * outcome, so the question is whether the variants' proportions differ: for two variants a
 * pooled two-proportion z-test (two-sided: either variant may win), for three or more a
 * chi-square test of homogeneity on the k×2 table with k−1 degrees of freedom, one omnibus
 * test instead of pairwise z-tests whose false positives would add up. For two variants the
 * two agree exactly (z² = χ²); the z-test is used there for its signed, readable statistic.
 * Both rest on the large-sample normal approximation, so when an expected count is below 5
 * the result is reported but never called significant. The test is meant to be run once, at
 * the end of the fixed test window: deciding as soon as p dips below the threshold ("peeking")
 * would make false winners far more frequent than 1 − confidence.
 * The winner is the highest rate (ties: the earlier variant); with three or more variants a
 * significant result says the rates differ, not that the leader beats the runner-up.
 * @example decideWinner([{ key: 'A', sent: 100, successes: 10 }, { key: 'B', sent: 100, successes: 30 }]) // B, p ≈ 0.0004
 */
export function decideWinner(
  results: readonly VariantResult[],
  { confidence = 0.95, ifInconclusive = 'best' }: DecideWinnerOptions = {},
): WinnerDecision {
  checkResults(results, confidence);
  const rates = Object.fromEntries(results.map((r) => [r.key, r.sent > 0 ? r.successes / r.sent : 0]));
  const best = results.reduce((top, r) => (rates[r.key]! > rates[top.key]! ? r : top));
  const test: SignificanceTest = results.length === 2 ? 'two-proportion z-test' : 'chi-square test of homogeneity';
  const { statistic, pValue, smallest } = testProportions(results);
  const alpha = 1 - confidence;
  const tooSmall = smallest.expected < MIN_EXPECTED_COUNT;
  const significant = !tooSmall && pValue < alpha;
  const winner = significant || ifInconclusive === 'best' ? best.key : results[0]!.key;

  const rateList = results.map((r) => `${r.key} ${percent(rates[r.key]!)} (${r.successes}/${r.sent})`).join(', ');
  const measured = `${test} ${results.length === 2 ? 'z' : 'χ²'} = ${statistic.toFixed(2)}, ${formatP(pValue)}`;
  const level = `${Number((confidence * 100).toFixed(1))}% confidence`;
  const threshold = `the threshold ${Number(alpha.toFixed(4))}`;
  const sending = `sending ${winner}, ${winner === best.key ? 'the best rate' : 'the control'}, as configured for an inconclusive test`;
  let reason: string;
  if (significant) {
    reason = `${winner} wins at ${level}: ${rateList}; ${measured}, below ${threshold}.`;
  } else if (tooSmall) {
    const cell = `${smallest.key} ${smallest.outcome}`;
    reason = `Too few results for the ${test}: the expected count for ${cell} is ${smallest.expected.toFixed(1)}, below ${MIN_EXPECTED_COUNT}, so the result is treated as inconclusive (${rateList}; ${measured}); ${sending}.`;
  } else {
    reason = `No significant difference at ${level}: ${rateList}; ${measured}, not below ${threshold}; ${sending}.`;
  }
  return { winner, significant, test, statistic, pValue, rates, reason };
}

/** The test statistic, its p-value, and the smallest expected cell count (for the validity check). */
function testProportions(results: readonly VariantResult[]) {
  const sentTotal = results.reduce((sum, r) => sum + r.sent, 0);
  const successTotal = results.reduce((sum, r) => sum + r.successes, 0);
  const pooled = sentTotal > 0 ? successTotal / sentTotal : 0;
  const cells = results.flatMap((r) => [
    { key: r.key, outcome: 'successes', observed: r.successes, expected: r.sent * pooled },
    { key: r.key, outcome: 'non-successes', observed: r.sent - r.successes, expected: r.sent * (1 - pooled) },
  ]);
  const smallest = cells.reduce((min, cell) => (cell.expected < min.expected ? cell : min));
  // Everyone or no one succeeded (or nothing was sent): no variation, nothing to test.
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1, smallest };
  if (results.length === 2) {
    const [a, b] = results as [VariantResult, VariantResult];
    if (a.sent === 0 || b.sent === 0) return { statistic: 0, pValue: 1, smallest };
    const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent));
    const z = (b.successes / b.sent - a.successes / a.sent) / standardError;
    return { statistic: z, pValue: 2 * normalCdf(-Math.abs(z)), smallest };
  }
  // Variants sent to nobody contribute 0/0 cells; they carry no information, so leave them out.
  const chiSquare = cells.filter((c) => c.expected > 0).reduce((sum, c) => sum + (c.observed - c.expected) ** 2 / c.expected, 0);
  const degreesOfFreedom = results.filter((r) => r.sent > 0).length - 1;
  return { statistic: chiSquare, pValue: degreesOfFreedom > 0 ? chiSquareSurvival(chiSquare, degreesOfFreedom) : 1, smallest };
}

function checkResults(results: readonly VariantResult[], confidence: number): void {
  if (results.length < 2)
    throw invalidInput([{ path: 'results', message: `expected results for at least 2 variants, got ${results.length}` }]);
  results.forEach((r, i) => {
    const isCount = (n: number) => Number.isInteger(n) && n >= 0;
    if (!(isCount(r.sent) && isCount(r.successes) && r.successes <= r.sent)) {
      const message = `expected whole numbers with 0 ≤ successes ≤ sent, got successes ${r.successes} of sent ${r.sent}`;
      throw invalidInput([{ path: `results.${i}`, message }]);
    }
  });
  checkUniqueKeys(results.map((r) => r.key));
  if (!(confidence > 0 && confidence < 1)) {
    throw invalidInput([{ path: 'confidence', message: `expected a confidence between 0 and 1 such as 0.95, got ${confidence}` }]);
  }
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function formatP(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

/**
 * The standard normal CDF Φ(z), through the identity P(|Z| > |z|) = Q(1/2, z²/2) (the tail of a
 * chi-square with one degree of freedom): accurate to ~1e-14, also deep in the tails, where the
 * common erf approximations (Abramowitz–Stegun 7.1.26: absolute error 1.5e-7) lose all relative precision.
 */
export function normalCdf(z: number): number {
  const halfTail = regularizedGammaQ(0.5, (z * z) / 2) / 2;
  return z < 0 ? halfTail : 1 - halfTail;
}

/** P(X ≥ statistic) for X chi-square distributed with the given degrees of freedom: the p-value of a chi-square test. */
export function chiSquareSurvival(statistic: number, degreesOfFreedom: number): number {
  return regularizedGammaQ(degreesOfFreedom / 2, statistic / 2);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), as in Numerical
 * Recipes (§6.2): the power series for P = 1 − Q below x = a + 1, where it converges fast, and
 * the continued fraction (modified Lentz) for Q above, where the series would cancel badly.
 */
function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const prefactor = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS && Math.abs(term) > Math.abs(sum) * EPSILON; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * prefactor);
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return prefactor * h;
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(a) for a ≥ 0.5 (here a = degrees of freedom / 2), Lanczos approximation (g = 7, n = 9), relative error ~1e-15. */
function lnGamma(a: number): number {
  const z = a - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}
