/**
 * What one evaluation slot measures and how it is judged, for every kind of rule a plan's
 * analysis holds: bounds on one value (`thresholds`), SLO burn rates (`burnRates`) and the canary
 * judge (`canaryJudge`, canary against stable). Measurement keys tie the two halves together; the
 * analysis loop only carries the samples from one to the other.
 */
import { evaluateAbortThresholds, type Sample, type ThresholdResult } from './analysis.js';
import { burnRateQueries, evaluateBurnRate } from './burn-rate.js';
import { canaryJudgeVerdict, judgeCanaryInterval, type CanarySamples } from './canary-judge.js';
import { durationMs } from './durations.js';
import { renderQuery, type LaunchPlan } from './plan.js';

export type AnalysisTarget = { service: string; environment: string; version: string };

/** One query of a slot: an instant value at the slot's time, or a series over the interval before it. */
export type SlotQuery = { key: string; query: string; range?: { stepMs: number; lengthMs: number } };

/** A range measurement: the values of the series over the slot's interval, oldest first. */
export type SeriesSample =
  | { status: 'ok'; values: (number | null)[] }
  | { status: 'empty' | 'nan' | 'non-scalar' | 'error'; values: null; error: string };

export type SlotSamples = Record<string, Sample | SeriesSample>;

type Analysis = LaunchPlan['analysis'];

export type SlotOptions = {
  /** Compare canary with stable (only while both take traffic: a ramp stage between 0 and 100 %). */
  judgeCanary: boolean;
};

const SLOTS = ['canary', 'stable'] as const;

/** The span of the judge's samples before each slot: its lookback, at least the interval. */
export function judgeLookbackMs(analysis: Analysis): number {
  const interval = durationMs(analysis.interval);
  const lookback = analysis.canaryJudge?.lookback;
  return lookback ? Math.max(interval, durationMs(lookback)) : interval;
}
const judgeKey = (metric: string, slot: (typeof SLOTS)[number]) => `${metric}#judge.${slot}`;

/** The canary judge of the plan, when this slot compares canary with stable. */
const judgeOf = (analysis: Analysis, options: SlotOptions) =>
  options.judgeCanary ? analysis.canaryJudge : undefined;

/** Every query a slot needs, keyed so `judgeSlot` finds each sample again. */
export function slotQueries(analysis: Analysis, target: AnalysisTarget, options: SlotOptions): SlotQuery[] {
  const render = (query: string) => renderQuery(query, target);
  const judge = judgeOf(analysis, options);
  return [
    ...analysis.thresholds.map((t) => ({ key: t.name, query: render(t.query) })),
    ...analysis.burnRates.flatMap((rule) =>
      burnRateQueries(rule).map((q) => ({ key: q.key, query: render(q.query) })),
    ),
    // The judge's samples: each slot's series over the interval, one value per step.
    ...(judge?.metrics ?? []).flatMap((m) =>
      SLOTS.map((slot) => ({
        key: judgeKey(m.name, slot),
        query: render(m.query.replaceAll('{{slot}}', slot)),
        range: { stepMs: durationMs(judge!.step), lengthMs: judgeLookbackMs(analysis) },
      })),
    ),
  ];
}

/** The instant sample under a key; a failed range measurement says why as one too. */
function instant(sample: Sample | SeriesSample | undefined): Sample | undefined {
  if (!sample || !('values' in sample)) return sample;
  return sample.status === 'ok' ? undefined : { status: sample.status, value: null, error: sample.error };
}

/** Names of every rule a slot judges (for run and window bookkeeping). */
export function ruleNames(analysis: Analysis, options: SlotOptions): string[] {
  const judge = judgeOf(analysis, options);
  return [
    ...analysis.thresholds.map((t) => t.name),
    ...analysis.burnRates.map((r) => r.name),
    ...(judge ? [judge.name] : []),
  ];
}

/** The canary judge's verdict on the slot's interval, as one more rule result. */
function judgeCanary(judge: NonNullable<Analysis['canaryJudge']>, samples: SlotSamples): ThresholdResult {
  const series = (key: string): (number | null)[] | string => {
    const sample = samples[key];
    if (!sample) return 'no samples returned';
    if (!('values' in sample)) return 'not a range measurement';
    // No series at all (no traffic in the slot) is no data for the judge, not an error.
    if (sample.status === 'empty') return [];
    return sample.status === 'ok' ? sample.values : `${sample.status}: ${sample.error}`;
  };
  const perMetric: Record<string, CanarySamples> = {};
  for (const m of judge.metrics) {
    const canary = series(judgeKey(m.name, 'canary'));
    const stable = series(judgeKey(m.name, 'stable'));
    perMetric[m.name] =
      typeof canary === 'string'
        ? { error: `canary ${canary}` }
        : typeof stable === 'string'
          ? { error: `stable ${stable}` }
          : { canary, stable };
  }
  const judgement = judgeCanaryInterval(judge, perMetric);
  const verdict = canaryJudgeVerdict(judgement);
  return {
    name: judge.name,
    category: 'canary',
    verdict,
    value: judgement.score,
    ...(verdict === 'pass' ? {} : { reason: `${judgement.classification}: ${judgement.reason}` }),
  };
}

/** Judges one slot from its samples: one result per rule. */
export function judgeSlot(analysis: Analysis, samples: SlotSamples, options: SlotOptions): ThresholdResult[] {
  const judge = judgeOf(analysis, options);
  const instants = Object.fromEntries(
    Object.entries(samples).flatMap(([key, sample]) => {
      const value = instant(sample);
      return value ? [[key, value] as const] : [];
    }),
  );
  return [
    ...evaluateAbortThresholds(analysis.thresholds, instants),
    ...analysis.burnRates.map((rule) => evaluateBurnRate(rule, instants)),
    ...(judge ? [judgeCanary(judge, samples)] : []),
  ];
}
