/**
 * The analysis loop of an observation window: measure (local activity), decide (domain), and
 * hand the decision back; the caller acts.
 *
 * Every slot of the window's grid is judged from the metrics backend's history *at the slot's
 * own time*, whenever the evaluation runs: a worker that was down, saturated or cut off from the
 * Temporal server measures the slots it missed when it is back, in order, and decides on them
 * exactly as if they had run on time (a breach run there aborts, a clean run counts). So the
 * verdict does not depend on the engine's timeliness; the lateness is kept as evidence.
 */
import { ActivityFailure, sleep } from '@temporalio/workflow';
import {
  endedClean,
  newAnalysisState,
  recordEvaluation,
  slotGrid,
  slotsInWindow,
  slotTime,
  slotVerdict,
  unsettledDecision,
  type AnalysisDecision,
  type AnalysisState,
  type SlotGrid,
  type SlotRecord,
  type ThresholdResult,
} from '../domain/analysis.js';
import { durationMs } from '../domain/durations.js';
import {
  judgePointsPerSlot,
  MAX_JUDGE_POINTS_PER_SLOT,
  MAX_QUERIES_PER_SLOT,
  type LaunchPlan,
} from '../domain/plan.js';
import {
  judgeSlot,
  ruleNames,
  slotQueries,
  type AnalysisTarget,
  type SlotOptions,
  type SlotSamples,
} from '../domain/slot-analysis.js';
import { localMeasurements } from './activity-options.js';

export type { AnalysisTarget } from '../domain/slot-analysis.js';

const NEVER_ABORT = {
  consecutiveBreaches: Number.MAX_SAFE_INTEGER,
  consecutiveErrorLimit: Number.MAX_SAFE_INTEGER,
};

/** Queries and judge samples one measurement call may carry when catching up (its payload and duration). */
export const MAX_QUERIES_PER_MEASUREMENT = MAX_QUERIES_PER_SLOT;
const MAX_POINTS_PER_MEASUREMENT = MAX_JUDGE_POINTS_PER_SLOT;
/** …and at most this many slots in it, however few queries a slot has. */
export const MAX_SLOTS_PER_MEASUREMENT = 30;

export type AnalysisRun = {
  /** `stopped`: `stopWhen` or `maxEvaluations` ended it early; the decision is `continue` then. */
  outcome: 'window-complete' | 'abort' | 'stopped';
  decision: AnalysisDecision;
  state: AnalysisState;
  lastResults: ThresholdResult[];
  /** Every slot evaluated by this run, in order. */
  slots: SlotRecord[];
  /** The slot a continuation starts from. */
  nextSlot: number;
  startedAt: number;
  endedAt: number;
};

export type AnalysisOptions = {
  plan: LaunchPlan;
  target: AnalysisTarget;
  windowMs: number;
  intervalMs: number;
  /** Compare canary with stable in each slot (ramp stages that split traffic). */
  judgeCanary?: boolean;
  /** Carried over across continue-as-new, with `startedAt` and `nextSlot`. */
  state?: AnalysisState;
  nextSlot?: number;
  startedAt?: number;
  /** Ends the loop early (e.g. the drill saw what it waited for). */
  stopWhen?: (results: ThresholdResult[], state: AnalysisState) => boolean;
  onEvaluated?: (results: ThresholdResult[], decision: AnalysisDecision) => void;
  /** Ends the loop at a safe point between evaluations (continue-as-new). */
  maxEvaluations?: number;
  /**
   * `abort` (default): breach and no-data runs abort as the plan says, and a window ends only on a
   * clean state (or fails as unsettled after its follow-up slots). `observe`: never abort
   * (waiting for recovery, where failing is expected at first).
   */
  mode?: 'abort' | 'observe';
};

/**
 * Measures slots at their times. A call that failed as a whole (worker error, timeout) makes the
 * first slot inconclusive in every rule and leaves the others due, to be tried again an interval
 * later: a backend that is down costs one inconclusive slot per interval, as on time.
 */
async function measureSlots(
  plan: LaunchPlan,
  target: AnalysisTarget,
  options: SlotOptions,
  grid: SlotGrid,
  slots: number[],
): Promise<{ samples: SlotSamples[]; failed: boolean }> {
  const queries = slotQueries(plan.analysis, target, options);
  try {
    const samples = await localMeasurements.measureSlots({
      integration: plan.integrations.metrics,
      queries,
      slots: slots.map((k) => ({ atMs: slotTime(grid, k) })),
    });
    return { samples, failed: false };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error = `measurement failed: ${err.cause?.message ?? err.message}`;
    const failed = { status: 'error' as const, value: null, values: null, error };
    return { samples: [Object.fromEntries(queries.map((q) => [q.key, failed]))], failed: true };
  }
}

/** Whether a slot's measurement failed at the backend (an error answer), not for lack of data. */
function backendFailed(samples: SlotSamples): boolean {
  return Object.values(samples).some((sample) => sample.status === 'error');
}

export async function runAnalysis(opts: AnalysisOptions): Promise<AnalysisRun> {
  const { plan } = opts;
  const slotOptions: SlotOptions = { judgeCanary: opts.judgeCanary ?? false };
  const names = ruleNames(plan.analysis, slotOptions);
  const limits = opts.mode === 'observe' ? NEVER_ABORT : plan.analysis;
  const state = opts.state ?? newAnalysisState();
  const startedAt = opts.startedAt ?? Date.now();
  const grid = slotGrid(startedAt, opts.windowMs, opts.intervalMs, plan.analysis);
  const lastInWindow = slotsInWindow(grid);
  const slots: SlotRecord[] = [];
  let lastResults: ThresholdResult[] = [];
  let decision: AnalysisDecision = { action: 'continue' };
  let next = opts.nextSlot ?? 1;
  /** After a failed measurement call, not before this (a backend that is down gets an interval). */
  let retryAt = 0;
  const end = (outcome: AnalysisRun['outcome']): AnalysisRun => ({
    outcome,
    decision,
    state,
    lastResults,
    slots,
    nextSlot: next,
    startedAt,
    endedAt: Date.now(),
  });
  const settleMs = plan.analysis.settle ? durationMs(plan.analysis.settle) : 0;
  const queriesPerSlot = slotQueries(plan.analysis, opts.target, slotOptions).length;
  const pointsPerSlot = queriesPerSlot + (slotOptions.judgeCanary ? judgePointsPerSlot(plan.analysis) : 0);
  const slotsPerCall = Math.max(
    1,
    Math.min(
      MAX_SLOTS_PER_MEASUREMENT,
      Math.floor(MAX_QUERIES_PER_MEASUREMENT / Math.max(1, queriesPerSlot)),
      Math.floor(MAX_POINTS_PER_MEASUREMENT / Math.max(1, pointsPerSlot)),
    ),
  );
  const budgetLeft = () =>
    opts.maxEvaluations === undefined ? Number.MAX_SAFE_INTEGER : opts.maxEvaluations - slots.length;

  for (;;) {
    if (next > lastInWindow) {
      // The window ends on a clean state: a run still in progress is followed up, a bounded number
      // of slots, and a window that still has not settled then fails safe.
      if (opts.mode === 'observe' || endedClean(state, names)) return end('window-complete');
      if (next > lastInWindow + grid.followUps) {
        decision = unsettledDecision(state, names, grid.followUps);
        return end('abort');
      }
    }
    if (budgetLeft() <= 0) return end('stopped');
    // `settle`: a sample stamped before the slot's time may reach the backend a little later
    // (scrape in flight, remote-write lag); on time and late then see the same data.
    const dueAt = Math.max(slotTime(grid, next) + settleMs, retryAt);
    if (dueAt > Date.now()) {
      await sleep(dueAt - Date.now());
      continue;
    }
    // Every slot whose time has come, oldest first; follow-up slots only once the window is over.
    const last = next <= lastInWindow ? lastInWindow : lastInWindow + grid.followUps;
    const due: number[] = [];
    for (
      let k = next;
      k <= last &&
      slotTime(grid, k) + settleMs <= Date.now() &&
      due.length < Math.min(slotsPerCall, budgetLeft());
      k++
    )
      due.push(k);
    const { samples, failed } = await measureSlots(plan, opts.target, slotOptions, grid, due);
    const evaluatedAt = Date.now();
    // A backend that could not answer (refused, 5xx, timeout) says nothing about the past: judge
    // up to the first slot it failed, and try the rest an interval later, as on time.
    const unanswered = samples.findIndex(backendFailed);
    const measured = unanswered >= 0 ? samples.slice(0, unanswered + 1) : samples;
    retryAt = failed || unanswered >= 0 ? evaluatedAt + grid.intervalMs : 0;
    for (const [i, k] of due.slice(0, measured.length).entries()) {
      lastResults = judgeSlot(plan.analysis, measured[i]!, slotOptions);
      decision = recordEvaluation(state, lastResults, limits);
      slots.push({
        slot: k,
        measuredAt: new Date(slotTime(grid, k)).toISOString(),
        evaluatedAt: new Date(evaluatedAt).toISOString(),
        lateMs: evaluatedAt - slotTime(grid, k),
        verdict: slotVerdict(lastResults),
      });
      next = k + 1;
      opts.onEvaluated?.(lastResults, decision);
      if (decision.action === 'abort') return end('abort');
      if (opts.stopWhen?.(lastResults, state)) return end('stopped');
      // A clean end of the window: the follow-up slots measured with it are not needed.
      if (next > lastInWindow && endedClean(state, names)) break;
    }
  }
}
