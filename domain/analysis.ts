/**
 * Analysis, kept apart as Argo Rollouts does: *measurement* (an activity queries the metrics
 * backend and returns samples), *decision* (this module, pure) and *action* (the workflow aborts
 * and compensates). "Inconclusive" is a first-class result: no data is never healthy.
 */
import type { ThresholdCategory } from './plan-fields.js';
import type { Threshold } from './plan.js';

/** One measured value, as the metrics integration reports it. */
export type Sample =
  | { status: 'ok'; value: number }
  | { status: 'empty' | 'nan' | 'non-scalar' | 'error'; value: null; error: string };

export type Verdict = 'pass' | 'breach' | 'inconclusive';

export type ThresholdResult = {
  name: string;
  /** `canary`: the canary judge's verdict on the interval (canary against stable). */
  category: ThresholdCategory | 'canary';
  verdict: Verdict;
  value: number | null;
  /** Why it breached or was inconclusive; absent on pass. */
  reason?: string;
};

type Bounds = { min?: number | undefined; max?: number | undefined };

/** Judges one sample against bounds. NaN, empty, non-scalar and errors are inconclusive. */
export function judgeSample(
  bounds: Bounds,
  sample: Sample,
): { verdict: Verdict; value: number | null; reason?: string } {
  if (sample.status !== 'ok')
    return { verdict: 'inconclusive', value: null, reason: `${sample.status}: ${sample.error}` };
  const value = sample.value;
  if (!Number.isFinite(value))
    return { verdict: 'inconclusive', value: null, reason: `not a finite number: ${value}` };
  if (bounds.min !== undefined && value < bounds.min)
    return { verdict: 'breach', value, reason: `${value} < min ${bounds.min}` };
  if (bounds.max !== undefined && value > bounds.max)
    return { verdict: 'breach', value, reason: `${value} > max ${bounds.max}` };
  return { verdict: 'pass', value };
}

export function evaluateThreshold(threshold: Threshold, sample: Sample | undefined): ThresholdResult {
  const judged = judgeSample(
    threshold,
    sample ?? { status: 'error', value: null, error: 'no sample returned' },
  );
  return { name: threshold.name, category: threshold.category, ...judged };
}

/** Evaluates every threshold against samples keyed by threshold name. */
export function evaluateAbortThresholds(
  thresholds: Threshold[],
  samples: Record<string, Sample>,
): ThresholdResult[] {
  return thresholds.map((t) => evaluateThreshold(t, samples[t.name]));
}

export type AnalysisLimits = { consecutiveBreaches: number; consecutiveErrorLimit: number };

/** Running counters over one observation window (or one monitoring run); plain data, serialisable. */
export type AnalysisState = {
  evaluations: number;
  /** Per threshold: current run of breaches / inconclusive results. */
  runs: Record<string, { breaches: number; inconclusive: number }>;
  totals: Record<string, { pass: number; breach: number; inconclusive: number; last: number | null }>;
};

export type AnalysisDecision =
  | { action: 'continue' }
  | {
      action: 'abort';
      cause: 'threshold-breach' | 'inconclusive-limit' | 'analysis-unsettled';
      threshold: string;
      detail: string;
    };

export function newAnalysisState(): AnalysisState {
  return { evaluations: 0, runs: {}, totals: {} };
}

/**
 * Folds one evaluation into the state and decides: abort as soon as one threshold has breached
 * `consecutiveBreaches` times in a row, or been inconclusive `consecutiveErrorLimit` times in a row.
 */
export function recordEvaluation(
  state: AnalysisState,
  results: ThresholdResult[],
  limits: AnalysisLimits,
): AnalysisDecision {
  state.evaluations += 1;
  let decision: AnalysisDecision = { action: 'continue' };
  for (const r of results) {
    const run = (state.runs[r.name] ??= { breaches: 0, inconclusive: 0 });
    const total = (state.totals[r.name] ??= { pass: 0, breach: 0, inconclusive: 0, last: null });
    total[r.verdict] += 1;
    total.last = r.value;
    // Only a pass clears a breach run: a gap in the data between two breaches hides nothing.
    if (r.verdict === 'breach') run.breaches += 1;
    else if (r.verdict === 'pass') run.breaches = 0;
    run.inconclusive = r.verdict === 'inconclusive' ? run.inconclusive + 1 : 0;
    if (decision.action === 'abort') continue;
    if (run.breaches >= limits.consecutiveBreaches)
      decision = {
        action: 'abort',
        cause: 'threshold-breach',
        threshold: r.name,
        detail: `${r.name}: ${r.reason} (${run.breaches} in a row)`,
      };
    else if (run.inconclusive >= limits.consecutiveErrorLimit)
      decision = {
        action: 'abort',
        cause: 'inconclusive-limit',
        threshold: r.name,
        detail: `${r.name}: ${r.reason} (${run.inconclusive} inconclusive in a row)`,
      };
  }
  return decision;
}

/** Whether a threshold ended the window without a breach run in progress. */
export function endedClean(state: AnalysisState, names: string[]): boolean {
  return names.every((n) => (state.runs[n]?.breaches ?? 0) === 0 && (state.runs[n]?.inconclusive ?? 0) === 0);
}

/**
 * The evaluation grid of an observation window that starts at `startedAt`: slot k (1, 2, …) is
 * judged from the metrics as they were at `slotTime(k)`, whenever the evaluation actually runs.
 * The window's last slot is its end; `followUps` slots after it settle a breach or no-data run
 * still in progress, and then the window ends whatever the state (bounded).
 */
export type SlotGrid = { startedAt: number; windowMs: number; intervalMs: number; followUps: number };

export function slotGrid(
  startedAt: number,
  windowMs: number,
  intervalMs: number,
  limits: AnalysisLimits,
): SlotGrid {
  return {
    startedAt,
    windowMs,
    intervalMs,
    followUps: Math.max(limits.consecutiveBreaches, limits.consecutiveErrorLimit),
  };
}

/** Slots inside the window (the last one at its end). */
export function slotsInWindow(grid: SlotGrid): number {
  return Math.max(1, Math.ceil(grid.windowMs / grid.intervalMs));
}

/** When slot `k` (from 1) is measured, in epoch ms. */
export function slotTime(grid: SlotGrid, k: number): number {
  const inWindow = slotsInWindow(grid);
  return k <= inWindow
    ? grid.startedAt + Math.min(k * grid.intervalMs, grid.windowMs)
    : grid.startedAt + grid.windowMs + (k - inWindow) * grid.intervalMs;
}

/** Evidence of one evaluated slot: the time measured, when it was evaluated, how late. */
export type SlotRecord = {
  slot: number;
  measuredAt: string;
  evaluatedAt: string;
  lateMs: number;
  verdict: Verdict;
};

/** The worst verdict of a slot's results: a breach outranks no data, which outranks a pass. */
export function slotVerdict(results: ThresholdResult[]): Verdict {
  if (results.some((r) => r.verdict === 'breach')) return 'breach';
  return results.some((r) => r.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
}

/** The decision when the follow-up slots ran out and a threshold still had a run in progress. */
export function unsettledDecision(
  state: AnalysisState,
  names: string[],
  followUps: number,
): AnalysisDecision {
  const open = names.filter(
    (n) => (state.runs[n]?.breaches ?? 0) > 0 || (state.runs[n]?.inconclusive ?? 0) > 0,
  );
  return {
    action: 'abort',
    cause: 'analysis-unsettled',
    threshold: open[0] ?? names[0] ?? '',
    detail: `${open.join(', ')} still breaching or without data ${followUps} intervals after the window ended`,
  };
}

/** Slot records kept in a stage's evidence; a longer stage keeps its last ones and counts the rest. */
export const SLOT_RECORDS_KEPT = 120;

/** A stage's slots as evidence: every one for a short stage, else a summary and the last ones. */
export function stageSlotEvidence(slots: SlotRecord[], intervalMs: number) {
  const late = slots.filter((s) => s.lateMs >= intervalMs);
  return {
    slotsJudged: slots.length,
    lateSlots: late.length,
    maxLateMs: Math.max(0, ...slots.map((s) => s.lateMs)),
    slots: slots.slice(-SLOT_RECORDS_KEPT),
  };
}
