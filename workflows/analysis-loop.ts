/**
 * The analysis loop of an observation window: measure every `interval` (activity), decide
 * (domain), and hand the decision back; the caller acts. Evaluations are scheduled on a fixed
 * grid from the window's start, so a slow query shows up as a missed slot rather than drift.
 */
import { ActivityFailure, patched, sleep } from '@temporalio/workflow';
import {
  endedClean,
  evaluateAbortThresholds,
  newAnalysisState,
  type Sample,
  recordEvaluation,
  type AnalysisDecision,
  type AnalysisState,
  type ThresholdResult,
} from '../domain/analysis.js';
import { renderQuery, type LaunchPlan, type Threshold } from '../domain/plan.js';
import { localMeasurements, measurements } from './activity-options.js';

/** Marks runs whose analysis measurements are local activities; earlier runs replay with activity tasks. */
export const LOCAL_MEASUREMENTS_PATCH = 'analysis-local-measurements';

const NEVER_ABORT = {
  consecutiveBreaches: Number.MAX_SAFE_INTEGER,
  consecutiveErrorLimit: Number.MAX_SAFE_INTEGER,
};

export type AnalysisTarget = { service: string; environment: string; version: string };

export type AnalysisRun = {
  outcome: 'window-complete' | 'abort' | 'stopped';
  decision: AnalysisDecision;
  state: AnalysisState;
  lastResults: ThresholdResult[];
  /** Grid slots in which an evaluation ran (for "monitored at every interval, no gap"). */
  slots: number[];
  startedAt: number;
  endedAt: number;
};

export type AnalysisOptions = {
  plan: LaunchPlan;
  target: AnalysisTarget;
  thresholds?: Threshold[];
  windowMs: number;
  intervalMs: number;
  /** Carried over across continue-as-new. */
  state?: AnalysisState;
  /** Ends the loop early (e.g. the drill saw what it waited for). */
  stopWhen?: (results: ThresholdResult[], state: AnalysisState) => boolean;
  onEvaluated?: (results: ThresholdResult[], decision: AnalysisDecision) => void;
  /** Ends the loop at a safe point between evaluations (continue-as-new). */
  maxEvaluations?: number;
  /**
   * `abort` (default): breach and no-data runs abort as the plan says, and a window ends only on a
   * clean state. `observe`: never abort (waiting for recovery, where failing is expected at first).
   */
  mode?: 'abort' | 'observe';
  startedAt?: number;
};

export async function measureThresholds(plan: LaunchPlan, target: AnalysisTarget, thresholds: Threshold[]) {
  let samples: Record<string, Sample>;
  try {
    const measure = patched(LOCAL_MEASUREMENTS_PATCH) ? localMeasurements : measurements;
    samples = await measure.runMetricQueries({
      integration: plan.integrations.metrics,
      queries: thresholds.map((t) => ({ name: t.name, query: renderQuery(t.query, target) })),
    });
  } catch (err) {
    // The measurement itself failed (worker error, timeout): every value is inconclusive.
    if (!(err instanceof ActivityFailure)) throw err;
    const error = `measurement failed: ${err.cause?.message ?? err.message}`;
    samples = Object.fromEntries(
      thresholds.map((t) => [t.name, { status: 'error' as const, value: null, error }]),
    );
  }
  return evaluateAbortThresholds(thresholds, samples);
}

export async function runAnalysis(opts: AnalysisOptions): Promise<AnalysisRun> {
  const thresholds = opts.thresholds ?? opts.plan.analysis.thresholds;
  const names = thresholds.map((t) => t.name);
  const state = opts.state ?? newAnalysisState();
  const startedAt = opts.startedAt ?? Date.now();
  const slots: number[] = [];
  let lastResults: ThresholdResult[] = [];
  let decision: AnalysisDecision = { action: 'continue' };
  let evaluations = 0;
  const end = (outcome: AnalysisRun['outcome']): AnalysisRun => ({
    outcome,
    decision,
    state,
    lastResults,
    slots,
    startedAt,
    endedAt: Date.now(),
  });
  for (;;) {
    const slot = Math.floor((Date.now() - startedAt) / opts.intervalMs);
    // The window ends only on a clean state: a breach or no-data run still in progress is
    // followed up; it clears or reaches its limit within a few more evaluations.
    const settled = opts.mode === 'observe' || endedClean(state, names);
    if (Date.now() - startedAt >= opts.windowMs && settled) return end('window-complete');
    lastResults = await measureThresholds(opts.plan, opts.target, thresholds);
    slots.push(slot);
    evaluations += 1;
    decision = recordEvaluation(
      state,
      lastResults,
      opts.mode === 'observe' ? NEVER_ABORT : opts.plan.analysis,
    );
    opts.onEvaluated?.(lastResults, decision);
    if (decision.action === 'abort') return end('abort');
    if (opts.stopWhen?.(lastResults, state)) return end('stopped');
    const nextAt = startedAt + (slot + 1) * opts.intervalMs;
    if (
      opts.maxEvaluations !== undefined &&
      evaluations >= opts.maxEvaluations &&
      nextAt - startedAt < opts.windowMs
    )
      return end('stopped');
    await sleep(Math.max(1, nextAt - Date.now()));
  }
}
