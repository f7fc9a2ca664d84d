/**
 * The two-sample Mann–Whitney U test (Wilcoxon rank-sum test) with the Hodges–Lehmann estimate
 * of the shift x − y and its confidence interval, computed as R's
 * `wilcox.test(x, y, conf.int = TRUE, conf.level)` computes them with its other defaults
 * (two-sided, mu = 0, exact = NULL, correct = TRUE, tol.root = 1e-4):
 *
 * - exact when both samples have fewer than 50 values and no value occurs twice in the pooled
 *   sample: the p-value from the exact distribution of U, the interval between order statistics of
 *   the m·n pairwise differences x_i − y_j chosen by its quantiles, the estimate their median;
 * - otherwise the normal approximation with the tie correction of the variance and a continuity
 *   correction of ½ toward the mean; the interval's ends are the shifts d at which the same z
 *   statistic of (x − d, y) crosses ∓z_{α/2}, found by Brent's method to `tolRoot` (absolute!), and
 *   the estimate is where the z statistic *without* continuity correction crosses 0 (R switches
 *   the correction off before that last root, so its estimate is not the median of the differences).
 *
 * Where R stops with an error (an empty sample, all values equal), or the values cannot be ranked
 * (±Infinity), this returns `{ method: 'insufficient', reason }` instead of throwing: workflow code
 * calls it. Pure and deterministic; O((m + n) log(m + n)) per evaluation of z, O(m·n log(m·n)) for
 * the exact interval.
 */
import { normalQuantile, normalTails } from './normal.js';
import { brentRoot } from './root.js';
import { wilcoxonCdf, wilcoxonDistribution, wilcoxonQuantile } from './wilcoxon-distribution.js';

export type MannWhitneyOptions = {
  /** Confidence level of the interval, 0 < confLevel < 1 (R's conf.level). Default 0.95. */
  confLevel?: number;
  /** Absolute accuracy of the interval's ends in the normal approximation (R's tol.root). Default 1e-4. */
  tolRoot?: number;
};

export type MannWhitneyTest = {
  method: 'exact' | 'normal';
  /** R's W: the rank sum of x minus n_x(n_x + 1)/2 (the number of pairs with x_i > y_j, ties ½). */
  statistic: number;
  pValue: number;
  /** Hodges–Lehmann estimate of the location shift x − y ("difference in location"). */
  estimate: number;
  confInt: [number, number];
  /** The interval's level: the one asked for, or lower when the exact distribution cannot reach it. */
  confLevel: number;
  /** What R warns about for the same input (ties, an unreachable level). */
  warnings: string[];
};

export type MannWhitneyResult = MannWhitneyTest | { method: 'insufficient'; reason: string };

/** Exact distributions are used below this sample size (R: both n < 50). */
const EXACT_BELOW = 50;

export function mannWhitneyTest(x: number[], y: number[], opts: MannWhitneyOptions = {}): MannWhitneyResult {
  const confLevel = opts.confLevel ?? 0.95;
  const tolRoot = opts.tolRoot ?? 1e-4;
  if (!(confLevel > 0 && confLevel < 1))
    return { method: 'insufficient', reason: `confLevel must be between 0 and 1, not ${confLevel}` };
  if (!(tolRoot > 0)) return { method: 'insufficient', reason: `tolRoot must be positive, not ${tolRoot}` };
  // R drops NA and NaN; infinite values cannot be shifted and ranked meaningfully.
  const xs = x.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const ys = y.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0 || ys.length === 0)
    return { method: 'insufficient', reason: `no values in ${xs.length === 0 ? 'x' : 'y'}` };
  if (!xs.every(Number.isFinite) || !ys.every(Number.isFinite))
    return { method: 'insufficient', reason: 'values must be finite' };

  const ranked = rankSum(xs, ys, 0);
  const nx = xs.length;
  const ny = ys.length;
  const statistic = ranked.rankSumX - (nx * (nx + 1)) / 2;
  if (nx < EXACT_BELOW && ny < EXACT_BELOW && ranked.tieTerm === 0)
    return exactTest(xs, ys, statistic, confLevel);
  return normalTest(xs, ys, statistic, ranked.tieTerm, confLevel, tolRoot);
}

/**
 * Ranks of the pooled sample (x − shift, y) with ties given their mean rank: the sum of x's
 * ranks and Σ(t³ − t) over groups of t tied values. Both inputs sorted ascending; subtracting a
 * constant keeps x sorted (rounding is monotone), so one merge ranks them.
 */
function rankSum(xs: number[], ys: number[], shift: number): { rankSumX: number; tieTerm: number } {
  let i = 0;
  let j = 0;
  let rank = 0; // ranks used so far
  let rankSumX = 0;
  let tieTerm = 0;
  while (i < xs.length || j < ys.length) {
    const xi = i < xs.length ? xs[i]! - shift : Number.POSITIVE_INFINITY;
    const yj = j < ys.length ? ys[j]! : Number.POSITIVE_INFINITY;
    const value = Math.min(xi, yj);
    let fromX = 0;
    let fromY = 0;
    while (i < xs.length && xs[i]! - shift === value) {
      i++;
      fromX++;
    }
    while (j < ys.length && ys[j] === value) {
      j++;
      fromY++;
    }
    const t = fromX + fromY;
    const meanRank = rank + (t + 1) / 2;
    rankSumX += meanRank * fromX;
    tieTerm += t * t * t - t;
    rank += t;
  }
  return { rankSumX, tieTerm };
}

function exactTest(xs: number[], ys: number[], statistic: number, confLevel: number): MannWhitneyTest {
  const nx = xs.length;
  const ny = ys.length;
  const dist = wilcoxonDistribution(nx, ny);
  const oneSided =
    statistic > (nx * ny) / 2 ? wilcoxonCdf(dist, statistic - 1, false) : wilcoxonCdf(dist, statistic);
  const pValue = Math.min(2 * oneSided, 1);

  const diffs = new Float64Array(nx * ny);
  let k = 0;
  for (const xi of xs) for (const yj of ys) diffs[k++] = xi - yj;
  diffs.sort();
  const alpha = 1 - confLevel;
  // The interval runs from the qu-th smallest to the qu-th largest difference (1-based).
  let qu = wilcoxonQuantile(dist, alpha / 2);
  if (qu === 0) qu = 1;
  const ql = nx * ny - qu;
  const achievedAlpha = 2 * wilcoxonCdf(dist, Math.trunc(qu) - 1);
  const warnings: string[] = [];
  let level = confLevel;
  if (achievedAlpha - alpha > alpha / 2) {
    warnings.push('Requested conf.level not achievable');
    level = 1 - achievedAlpha;
  }
  return {
    method: 'exact',
    statistic,
    pValue,
    estimate: median(diffs),
    confInt: [diffs[qu - 1]!, diffs[ql]!],
    confLevel: level,
    warnings,
  };
}

function median(sorted: Float64Array): number {
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

function normalTest(
  xs: number[],
  ys: number[],
  statistic: number,
  tieTerm: number,
  confLevel: number,
  tolRoot: number,
): MannWhitneyResult {
  const nx = xs.length;
  const ny = ys.length;
  const warnings: string[] = [];
  if (nx < EXACT_BELOW && ny < EXACT_BELOW)
    warnings.push(
      'cannot compute exact p-value with ties',
      'cannot compute exact confidence intervals with ties',
    );
  // Standard deviation of U under the null hypothesis, less the variance ties remove.
  const sigma = (ties: number) =>
    Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - ties / ((nx + ny) * (nx + ny - 1))));
  if (sigma(tieTerm) === 0)
    return { method: 'insufficient', reason: `all ${nx + ny} values are equal (${xs[0]}): nothing to rank` };
  const centred = statistic - (nx * ny) / 2;
  const z = (centred - Math.sign(centred) * 0.5) / sigma(tieTerm);
  const tails = normalTails(z);
  const pValue = 2 * Math.min(tails.lower, tails.upper);

  // z of (x − d, y) as a function of the shift d: a decreasing step function.
  const zOfShift = (d: number, continuityCorrection: boolean) => {
    const ranked = rankSum(xs, ys, d);
    const dz = ranked.rankSumX - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
    const correction = continuityCorrection ? Math.sign(dz) * 0.5 : 0;
    return (dz - correction) / sigma(ranked.tieTerm);
  };
  const muMin = xs[0]! - ys[ny - 1]!;
  const muMax = xs[nx - 1]! - ys[0]!;
  if (!(muMin < muMax)) {
    // Both samples constant, at different values: every pairwise difference is the same, so that
    // is the estimate and the interval. (R stops here: uniroot needs lower < upper.)
    warnings.push(`both samples are constant: every difference is ${muMin}`);
    return {
      method: 'normal',
      statistic,
      pValue,
      estimate: muMin,
      confInt: [muMin, muMin],
      confLevel,
      warnings,
    };
  }
  const zAtMin = zOfShift(muMin, true);
  const zAtMax = zOfShift(muMax, true);
  const shiftWhereZIs = (zq: number) => {
    const fLower = zAtMin - zq;
    if (fLower <= 0) return muMin;
    const fUpper = zAtMax - zq;
    if (fUpper >= 0) return muMax;
    return brentRoot((d) => zOfShift(d, true) - zq, muMin, muMax, fLower, fUpper, tolRoot).root;
  };
  const alpha = 1 - confLevel;
  const zHalfAlpha = normalQuantile(alpha / 2); // negative
  const confInt: [number, number] = [shiftWhereZIs(-zHalfAlpha), shiftWhereZIs(zHalfAlpha)];
  const estimate = brentRoot(
    (d) => zOfShift(d, false),
    muMin,
    muMax,
    zOfShift(muMin, false),
    zOfShift(muMax, false),
    tolRoot,
  ).root;
  return { method: 'normal', statistic, pValue, estimate, confInt, confLevel, warnings };
}
