/**
 * The statistical canary judge, in the manner of Kayenta's (Netflix) Mann–Whitney judge: each
 * metric's samples from the canary are compared with the stable version's over the same interval,
 * a metric is `high` or `low` only when the difference is both significant (the Hodges–Lehmann
 * confidence interval of canary − stable excludes 0) and larger than the plan tolerates, and the
 * interval's score is the weighted share of metrics that passed. Fixed thresholds (analysis.ts)
 * judge absolute values; this judges the canary *relative to* stable, so load and time-of-day
 * effects that hit both cancel out.
 *
 * Pure: the measurement (range queries for both slots) happens in an activity; the action in
 * the workflow.
 */
import { z } from 'zod';
import { durationWithin, slug } from './plan-fields.js';
import { mannWhitneyTest } from './statistics/mann-whitney.js';

/** Fewer samples than this on either side cannot show a difference (exact p ≥ 0.1 at 3 vs 3). */
export const MIN_SAMPLES = 3;

const canaryMetricSchema = z
  .object({
    name: slug,
    /** PromQL with {{service}}, {{environment}}, {{version}} and {{slot}} (canary | stable). */
    query: z
      .string()
      .min(1)
      .max(2000)
      .refine((q) => q.includes('{{slot}}'), {
        message: 'must contain {{slot}}, so the same query selects the canary and the stable version',
      }),
    /** Which change is bad: `increase` (latency, errors), `decrease` (throughput), or `either`. */
    direction: z.enum(['increase', 'decrease', 'either']).default('either'),
    /** Relative change of the canary's mean vs stable's tolerated (0.1 = 10 %). */
    allowedEffect: z.number().min(0).max(10).default(0),
    /** Relative change (significant, in the bad direction) that fails the whole interval at once. */
    criticalEffect: z.number().min(0).max(100).optional(),
    /** Missing and NaN samples: dropped, or counted as 0 (for counters where "no series" means none). */
    nanStrategy: z.enum(['remove', 'replace']).default('remove'),
    /** No data for this metric fails it (and counts in the score) instead of leaving it out. */
    mustHaveData: z.boolean().default(false),
    /** A high/low result of this metric fails the whole interval. */
    critical: z.boolean().default(false),
    weight: z.number().positive().max(1000).default(1),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.criticalEffect !== undefined && !(m.criticalEffect > m.allowedEffect))
      ctx.addIssue({
        code: 'custom',
        path: ['criticalEffect'],
        message: `must be greater than allowedEffect (${m.allowedEffect})`,
        input: m.criticalEffect,
      });
  });

export const canaryJudgeSchema = z
  .object({
    name: slug.default('canary-judge'),
    /** Confidence level of the test's interval. */
    confidence: z.number().min(0.5).max(0.999).default(0.95),
    /** Time between samples (range query step): the scrape interval; smaller repeats samples. */
    step: durationWithin({ min: '1s', max: '5m' }).default('1s'),
    /**
     * How far back from each slot the samples reach (default: the analysis interval). Longer than
     * the interval, consecutive slots share samples, but each has enough to show a difference.
     */
    lookback: durationWithin({ min: '1s', max: '1h' }).optional(),
    scoreThresholds: z
      .object({
        pass: z.number().min(0).max(100).default(95),
        marginal: z.number().min(0).max(100).default(75),
      })
      .strict()
      .superRefine((t, ctx) => {
        if (t.marginal > t.pass)
          ctx.addIssue({
            code: 'custom',
            path: ['marginal'],
            message: `must be at most pass (${t.pass})`,
            input: t.marginal,
          });
      })
      .default({ pass: 95, marginal: 75 }),
    metrics: z
      .array(canaryMetricSchema)
      .min(1, 'define at least one metric')
      .max(50)
      .superRefine((metrics, ctx) => {
        const seen = new Set<string>();
        metrics.forEach((m, i) => {
          if (seen.has(m.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate metric name "${m.name}"`,
              input: m.name,
            });
          seen.add(m.name);
        });
      }),
  })
  .strict();

export type CanaryJudgeConfig = z.output<typeof canaryJudgeSchema>;
export type CanaryJudgeConfigInput = z.input<typeof canaryJudgeSchema>;
export type CanaryMetric = CanaryJudgeConfig['metrics'][number];

/** One metric's samples over an interval, per slot, as the measurement activity returns them. */
export type CanarySamples = { canary: (number | null)[]; stable: (number | null)[] } | { error: string };

export type MetricClassification = 'pass' | 'high' | 'low' | 'nodata' | 'error';

export type MetricJudgement = {
  name: string;
  classification: MetricClassification;
  /** A critical failure: fails the interval whatever the score. */
  critical: boolean;
  /**
   * (mean(canary) − mean(stable)) / |mean(stable)|: the mean ratio − 1 for positive means.
   * 0 when both means are 0; null when only stable's is (the relative change is unbounded, and
   * counts as beyond any allowed or critical effect in its direction), and without data.
   */
  effect: number | null;
  /** The Mann–Whitney test of canary vs stable; estimate and interval are of canary − stable. */
  test?: { pValue: number; estimate: number; confInt: [number, number] };
  canaryCount: number;
  stableCount: number;
  /** One short phrase: why this classification. */
  reason: string;
};

export type IntervalClassification = 'pass' | 'marginal' | 'fail' | 'nodata';

export type CanaryJudgement = {
  classification: IntervalClassification;
  /** 0–100; null when no metric was scored. */
  score: number | null;
  metrics: MetricJudgement[];
  reason: string;
};

/** Judges one interval: every metric of the config, against the samples keyed by metric name. */
export function judgeCanaryInterval(
  config: CanaryJudgeConfig,
  samples: Record<string, CanarySamples | undefined>,
): CanaryJudgement {
  const metrics = config.metrics.map((metric) =>
    judgeMetric(metric, samples[metric.name] ?? { error: 'no samples returned' }, config.confidence),
  );
  let scoredWeight = 0;
  let passedWeight = 0;
  config.metrics.forEach((metric, i) => {
    const { classification } = metrics[i]!;
    // A critical metric that cannot be measured (a query error) must not drop out unnoticed.
    const excused = classification === 'nodata' || (classification === 'error' && !metric.critical);
    if (excused && !metric.mustHaveData) return;
    scoredWeight += metric.weight;
    if (classification === 'pass') passedWeight += metric.weight;
  });
  const score = scoredWeight > 0 ? (100 * passedWeight) / scoredWeight : null;
  const { pass, marginal } = config.scoreThresholds;
  const criticalFailures = metrics.filter((m) => m.critical);
  const failures = metrics.filter((m) => m.classification !== 'pass');
  const summary = (list: MetricJudgement[]) =>
    list
      .slice(0, 3)
      .map((m) => `${m.name} ${m.reason}`)
      .join('; ') + (list.length > 3 ? `; and ${list.length - 3} more` : '');
  const scoreText = score === null ? '' : formatNumber(score);

  if (criticalFailures.length > 0)
    return {
      classification: 'fail',
      score,
      metrics,
      reason: `critical: ${summary(criticalFailures)}${score === null ? '' : `, score ${scoreText}`}`,
    };
  if (score === null)
    return { classification: 'nodata', score, metrics, reason: `no metric had data: ${summary(failures)}` };
  const classification: IntervalClassification =
    score >= pass ? 'pass' : score >= marginal ? 'marginal' : 'fail';
  const comparison =
    classification === 'pass'
      ? `score ${scoreText} ≥ pass ${pass}`
      : classification === 'marginal'
        ? `score ${scoreText} < pass ${pass}`
        : `score ${scoreText} < marginal ${marginal}`;
  const worth = failures.filter((m) => m.classification !== 'nodata' && m.classification !== 'error');
  const shown = classification === 'pass' ? failures : worth.length > 0 ? worth : failures;
  return {
    classification,
    score,
    metrics,
    reason: shown.length > 0 ? `${summary(shown)}, ${comparison}` : comparison,
  };
}

/** As Argo Rollouts maps Kayenta's results: marginal and no data are inconclusive, never a pass. */
export function canaryJudgeVerdict(judgement: CanaryJudgement): 'pass' | 'inconclusive' | 'breach' {
  if (judgement.classification === 'pass') return 'pass';
  if (judgement.classification === 'fail') return 'breach';
  return 'inconclusive';
}

function judgeMetric(metric: CanaryMetric, samples: CanarySamples, confidence: number): MetricJudgement {
  const base = { name: metric.name, critical: false, effect: null, canaryCount: 0, stableCount: 0 };
  if ('error' in samples) return { ...base, classification: 'error', reason: `error: ${samples.error}` };
  if (!Array.isArray(samples.canary) || !Array.isArray(samples.stable))
    return { ...base, classification: 'error', reason: 'error: samples are not lists of numbers' };
  const canary = clean(samples.canary, metric.nanStrategy);
  const stable = clean(samples.stable, metric.nanStrategy);
  const counts = { canaryCount: canary.length, stableCount: stable.length };
  if (canary.length < MIN_SAMPLES || stable.length < MIN_SAMPLES)
    return {
      ...base,
      ...counts,
      classification: 'nodata',
      reason: `no data: ${canary.length} canary and ${stable.length} stable samples (at least ${MIN_SAMPLES} each)`,
    };
  const canaryMean = mean(canary);
  const stableMean = mean(stable);
  const change = canaryMean - stableMean;
  // Unbounded (stable mean 0) compares as ±Infinity but is reported as null (JSON has no Infinity).
  const relative =
    stableMean !== 0 ? change / Math.abs(stableMean) : change === 0 ? 0 : Math.sign(change) * Infinity;
  const effect = Number.isFinite(relative) ? relative : null;
  // R's default tol.root (1e-4, absolute) is coarse for metrics measured in thousandths.
  let scale = 0;
  for (const v of [...canary, ...stable]) scale = Math.max(scale, Math.abs(v));
  const result = mannWhitneyTest(canary, stable, {
    confLevel: confidence,
    tolRoot: Math.max(scale * 1e-9, Number.MIN_VALUE),
  });
  if (result.method === 'insufficient') {
    // With enough finite samples, only when every value is the same: nothing changed.
    const unchanged = [...canary, ...stable].every((v) => v === canary[0]);
    return unchanged
      ? { ...base, ...counts, effect: 0, classification: 'pass', reason: `pass: all values are ${canary[0]}` }
      : { ...base, ...counts, classification: 'error', reason: `error: ${result.reason}` };
  }
  const test = { pValue: result.pValue, estimate: result.estimate, confInt: result.confInt };
  const [lo, hi] = result.confInt;
  const effectText = `${formatEffect(relative)} (CI ${formatNumber(lo)}..${formatNumber(hi)})`;
  let classification: MetricClassification = 'pass';
  if (lo > 0 && metric.direction !== 'decrease' && relative > metric.allowedEffect) classification = 'high';
  else if (hi < 0 && metric.direction !== 'increase' && relative < -metric.allowedEffect)
    classification = 'low';
  const critical =
    classification !== 'pass' &&
    (metric.critical || (metric.criticalEffect !== undefined && Math.abs(relative) >= metric.criticalEffect));
  const reason =
    classification === 'pass'
      ? `pass: ${effectText}${lo > 0 || hi < 0 ? `, ${whyTolerated(metric, lo > 0, relative)}` : ''}`
      : `${classification}: ${effectText}${
          critical && !metric.critical ? ` ≥ critical ${formatEffect(metric.criticalEffect!)}` : ''
        }`;
  return { ...base, ...counts, classification, critical, effect, test, reason };
}

/** Drops or zeroes what cannot be averaged: null, NaN, ±Infinity (PromQL's x/0) and non-numbers. */
function clean(values: readonly (number | null)[], strategy: 'remove' | 'replace'): number[] {
  const out: number[] = [];
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
    else if (strategy === 'replace') out.push(0);
  }
  return out;
}

function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Why a significant change passed: not the bad direction, or not beyond the allowed effect. */
function whyTolerated(metric: CanaryMetric, up: boolean, relative: number): string {
  if (metric.direction === (up ? 'decrease' : 'increase'))
    return `an ${up ? 'increase' : 'decrease'} is not bad (direction ${metric.direction})`;
  if (up ? relative <= 0 : relative >= 0) return 'but the mean moved the other way';
  return `within allowed ${formatEffect(metric.allowedEffect).replace('+', '±')}`;
}

function formatEffect(relative: number): string {
  if (!Number.isFinite(relative)) return relative > 0 ? '+∞ % (stable mean 0)' : '−∞ % (stable mean 0)';
  const percent = relative * 100;
  return `${percent >= 0 ? '+' : ''}${formatNumber(percent)} %`;
}

/** Three significant digits, plain notation where readable. */
function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e6) return String(Number(value.toPrecision(3)));
  return value.toExponential(2);
}
