/**
 * SLO burn-rate rules, a threshold kind: multi-window, multi-burn-rate alerts on an error budget
 * (Google SRE workbook, "Alerting on SLOs"). A rule breaches when, for one of its alerts, the
 * budget burns faster than the alert's factor over both its long window (enough budget spent to
 * matter) and its short window (still burning now). Measurement (queries per window), decision
 * (this module) and action (the analysis loop) stay apart, as for every threshold.
 */
import { z } from 'zod';
import type { Sample, ThresholdResult } from './analysis.js';
import { durationMs, formatDuration } from './durations.js';
import { durationWithin, slug, THRESHOLD_CATEGORIES } from './plan-fields.js';

const burnRateAlertSchema = z
  .object({
    /** Window over which enough budget must have burnt. */
    long: durationWithin({ min: '1s', max: '30d' }),
    /** Window that shows the burn still goes on (workbook: 1/12 of the long window). */
    short: durationWithin({ min: '1s', max: '30d' }),
    /** Budget consumption speed that alerts: 1 spends the budget exactly over the SLO period. */
    burnRate: z.number().positive().max(10_000),
  })
  .strict()
  .refine((a) => durationMs(a.short) <= durationMs(a.long), {
    message: 'short must not exceed long',
    path: ['short'],
  });

/** The workbook's paging pairs: 2 % of a 30-day budget in 1 h, 5 % in 6 h. */
export const DEFAULT_BURN_RATE_ALERTS = [
  { long: '1h', short: '5m', burnRate: 14.4 },
  { long: '6h', short: '30m', burnRate: 6 },
];

export const burnRateRuleSchema = z
  .object({
    name: slug,
    category: z.enum(THRESHOLD_CATEGORIES).default('errors'),
    /**
     * PromQL of the bad-event ratio (0..1) over `{{window}}`, e.g.
     * `sum(rate(errors{service="{{service}}"}[{{window}}])) / sum(rate(requests{…}[{{window}}]))`.
     */
    errorRatioQuery: z
      .string()
      .min(1)
      .max(2_000)
      .refine((q) => q.includes('{{window}}'), 'must contain {{window}} (each alert fills in its windows)'),
    /** The SLO, e.g. 0.999: the error budget is 1 − objective. */
    objective: z.number().gt(0).lt(1),
    alerts: z.array(burnRateAlertSchema).min(1).max(6).default(DEFAULT_BURN_RATE_ALERTS),
    /**
     * Multiplies every window, so a plan observing minutes keeps the workbook's shape
     * (0.01: 1 h → 36 s, 5 m → 3 s). Windows shorter than two scrapes have no rate: no data.
     */
    windowScale: z.number().gt(0).max(1).default(1),
  })
  .strict();
export type BurnRateRule = z.infer<typeof burnRateRuleSchema>;

/** A PromQL range duration for a scaled window (whole milliseconds, at least 1 ms). */
export function promqlWindow(window: string, scale: number): string {
  return `${Math.max(1, Math.round(durationMs(window) * scale))}ms`;
}

/** Measurement keys of one rule: one query per alert and window. */
export function burnRateQueries(rule: BurnRateRule): { key: string; query: string }[] {
  return rule.alerts.flatMap((alert, i) =>
    (['long', 'short'] as const).map((which) => ({
      key: burnRateKey(rule.name, i, which),
      query: rule.errorRatioQuery.replaceAll('{{window}}', promqlWindow(alert[which], rule.windowScale)),
    })),
  );
}

export function burnRateKey(rule: string, alert: number, which: 'long' | 'short'): string {
  return `${rule}#burn${alert}.${which}`;
}

type AlertReading = {
  alert: number;
  long: number | null;
  short: number | null;
  burnRate: number;
  firing: boolean;
  missing?: string;
};

/**
 * Judges a rule from its measured error ratios. Breach: an alert fires (both windows burn faster
 * than its factor). Inconclusive: no alert fires and one needed ratio is missing. Value: the
 * fastest long-window burn rate measured.
 */
export function evaluateBurnRate(
  rule: BurnRateRule,
  samples: Record<string, Sample | undefined>,
): ThresholdResult {
  const budget = 1 - rule.objective;
  const burn = (sample: Sample | undefined): { rate: number | null; missing?: string } => {
    if (!sample) return { rate: null, missing: 'no sample returned' };
    if (sample.status !== 'ok') return { rate: null, missing: `${sample.status}: ${sample.error}` };
    return { rate: sample.value / budget };
  };
  const readings: AlertReading[] = rule.alerts.map((alert, i) => {
    const long = burn(samples[burnRateKey(rule.name, i, 'long')]);
    const short = burn(samples[burnRateKey(rule.name, i, 'short')]);
    const firing =
      long.rate !== null && short.rate !== null && long.rate > alert.burnRate && short.rate > alert.burnRate;
    const missing = long.missing ?? short.missing;
    return {
      alert: i,
      long: long.rate,
      short: short.rate,
      burnRate: alert.burnRate,
      firing,
      ...(missing ? { missing } : {}),
    };
  });
  const longRates = readings.map((r) => r.long).filter((r): r is number => r !== null);
  const value = longRates.length ? Math.max(...longRates) : null;
  const base = { name: rule.name, category: rule.category, value };
  const describe = (r: AlertReading) => {
    const alert = rule.alerts[r.alert]!;
    const window = (w: string) => formatDuration(durationMs(w) * rule.windowScale);
    return `burn ${r.long?.toFixed(1)}× over ${window(alert.long)} and ${r.short?.toFixed(1)}× over ${window(alert.short)} > ${alert.burnRate}× (budget ${(budget * 100).toPrecision(3)} %)`;
  };
  const fired = readings.find((r) => r.firing);
  if (fired) return { ...base, verdict: 'breach', reason: describe(fired) };
  const missing = readings.find((r) => r.missing);
  if (missing)
    return { ...base, verdict: 'inconclusive', reason: `alert ${missing.alert}: ${missing.missing}` };
  return { ...base, verdict: 'pass' };
}
