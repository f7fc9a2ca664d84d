/**
 * The exact null distribution of the Mann–Whitney U statistic (R's W) for samples of m and n
 * distinct values: each of the C(m+n, m) orderings of the pooled sample is equally likely, and
 * count(u) of them give U = u. R's `dwilcox`/`pwilcox`/`qwilcox` sum these counts the same way.
 */

export type WilcoxonDistribution = {
  m: number;
  n: number;
  /** count(u) for u = 0 … ⌊mn/2⌋; the distribution is symmetric, count(u) = count(mn − u). */
  halfCounts: Float64Array;
  /** C(m+n, m): the number of orderings. */
  total: number;
};

/**
 * Counts by the recursion on the largest pooled value: it belongs to x (then each of the n
 * y values is below it, adding n to U) or to y (adding nothing):
 *   count(u; i, j) = count(u − j; i − 1, j) + count(u; i, j − 1),  count(u; 0, j) = count(u; i, 0) = [u = 0].
 * O(m · n · mn/2) additions of positive numbers (no cancellation), ~3 million for 49 × 49.
 */
export function wilcoxonDistribution(m: number, n: number): WilcoxonDistribution {
  const size = Math.floor((m * n) / 2) + 1;
  const base = () => {
    const counts = new Float64Array(size);
    counts[0] = 1;
    return counts;
  };
  // previous[j] = count(·; i − 1, j); current[j] = count(·; i, j).
  let previous: Float64Array[] = Array.from({ length: n + 1 }, base);
  for (let i = 1; i <= m; i++) {
    const current: Float64Array[] = [base()];
    for (let j = 1; j <= n; j++) {
      const counts = new Float64Array(size);
      const withoutLargestY = current[j - 1]!;
      const withoutLargestX = previous[j]!;
      const last = Math.min(size - 1, i * j);
      for (let u = 0; u <= last; u++)
        counts[u] = withoutLargestY[u]! + (u >= j ? withoutLargestX[u - j]! : 0);
      current.push(counts);
    }
    previous = current;
  }
  const halfCounts = previous[n]!;
  let total = 0;
  for (let u = 0; u < size; u++) total += halfCounts[u]!;
  total *= 2;
  if ((m * n) % 2 === 0) total -= halfCounts[size - 1]!; // the middle value was counted twice
  return { m, n, halfCounts, total };
}

function count(dist: WilcoxonDistribution, u: number): number {
  const mn = dist.m * dist.n;
  if (u < 0 || u > mn) return 0;
  return dist.halfCounts[u <= mn / 2 ? u : mn - u]!;
}

/** P(U <= q), or P(U > q) when `lowerTail` is false; summed over the shorter side like R. */
export function wilcoxonCdf(dist: WilcoxonDistribution, q: number, lowerTail = true): number {
  const mn = dist.m * dist.n;
  let x = Math.floor(q + 1e-7);
  if (x < 0) return lowerTail ? 0 : 1;
  if (x >= mn) return lowerTail ? 1 : 0;
  let p = 0;
  let lower = lowerTail;
  if (x <= mn / 2) {
    for (let i = 0; i <= x; i++) p += count(dist, i) / dist.total;
  } else {
    x = mn - x;
    for (let i = 0; i < x; i++) p += count(dist, i) / dist.total;
    lower = !lower;
  }
  return lower ? p : 0.5 - p + 0.5;
}

/** The smallest q with P(U <= q) >= p (R's qwilcox, with its 10-ulp allowance for rounding). */
export function wilcoxonQuantile(dist: WilcoxonDistribution, p: number): number {
  const mn = dist.m * dist.n;
  if (p <= 0) return 0;
  if (p >= 1) return mn;
  let cumulative = 0;
  if (p <= 0.5) {
    const target = p - 10 * Number.EPSILON;
    for (let q = 0; ; q++) {
      cumulative += count(dist, q) / dist.total;
      if (cumulative >= target) return q;
    }
  }
  // Upper half: walk in from the top by symmetry.
  const target = 1 - p + 10 * Number.EPSILON;
  for (let q = 0; ; q++) {
    cumulative += count(dist, q) / dist.total;
    if (cumulative > target) return mn - q;
  }
}
