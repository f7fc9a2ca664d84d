/**
 * 5.5 Heightened monitoring at full traffic: every category judged at every slot of the window's
 * grid (a slot evaluated late is measured at its own time: no gaps), the person on call confirms,
 * a breach run rolls the launch back. Long windows continue-as-new every few hundred evaluations
 * so history stays bounded.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { PendingApproval } from '../domain/launch-state.js';
import { endedClean, type AnalysisState, type SlotRecord } from '../domain/analysis.js';
import { durationMs } from '../domain/durations.js';
import { THRESHOLD_CATEGORIES, type LaunchPlan } from '../domain/plan.js';
import { abortLaunch } from './abort.js';
import { checks } from './activity-options.js';
import { runAnalysis } from './analysis-loop.js';
import { checkTaskInput, INVALID_PLAN_TYPE } from './plan-check.js';
import { TaskRuntime, type TaskCarry, type TaskInput } from './task-runtime.js';

const id = (key: string) => `5.5.${key}`;
/** Evaluations per run before continue-as-new (~9 history events each). */
export const EVALUATIONS_PER_RUN = 400;

export type MonitoringCarry = {
  startedAt: number;
  state: AnalysisState;
  /** The next grid slot to judge (every earlier one has been). */
  nextSlot: number;
  /** Slots judged later than one interval after their time (a worker away), for the evidence. */
  lateness: Lateness;
  /** `person`: the approver identity asked to acknowledge; `name`: how the rotation shows them. */
  onCall: {
    person: string;
    name?: string;
    requestedAt: number;
    ackBy?: string;
    ackAt?: string;
    /** The open request, carried so an ack the launch accepted for it is still found by the next run. */
    request?: PendingApproval;
  };
  runs: number;
  /** This task's items and audit entries so far: its outcome at the end holds all of them. */
  task: TaskCarry;
};

export type Lateness = { slots: number; maxLateMs: number; latest: SlotRecord[] };
/** Late slots listed in the evidence (the most recent); the rest are counted. */
const LATE_SLOTS_KEPT = 20;

function addLateness(lateness: Lateness, slots: SlotRecord[], intervalMs: number): Lateness {
  const late = slots.filter((s) => s.lateMs >= intervalMs);
  return {
    slots: lateness.slots + late.length,
    maxLateMs: Math.max(lateness.maxLateMs, ...slots.map((s) => s.lateMs)),
    latest: [...lateness.latest, ...late].slice(-LATE_SLOTS_KEPT),
  };
}

export type MonitoringInput = TaskInput & { carry?: MonitoringCarry; evaluationsPerRun?: number };

export function monitoring(input: MonitoringInput) {
  const { plan, launchId } = checkTaskInput(input);
  checkCarry(input.carry, plan);
  const rt = new TaskRuntime('5.5', plan, launchId, ['onCallAck'], input.carry?.task);
  return rt.finish(async () => {
    const windowMs = durationMs(plan.monitoring.window);
    const intervalMs = durationMs(plan.monitoring.interval);
    const target = {
      service: plan.service,
      environment: plan.environments.production,
      version: plan.version,
    };

    let carry = input.carry;
    if (!carry) {
      rt.pass(id('policy.window'), {
        window: plan.monitoring.window,
        interval: plan.monitoring.interval,
        evaluations: Math.ceil(windowMs / intervalMs),
      });
      const shift = await checks.currentOnCall({
        integration: plan.integrations.oncall,
        schedule: plan.monitoring.onCallSchedule,
      });
      if (!shift) {
        rt.fail(id('policy.on-call'), `nobody is on call in schedule ${plan.monitoring.onCallSchedule}`);
        abortLaunch('check-failed', `no on-call person in schedule ${plan.monitoring.onCallSchedule}`);
      }
      if (shift.person === null) {
        // Nobody could send an ack the launch would accept: say which mapping is missing now,
        // rather than roll back at the ack timeout.
        const missing =
          `no approver identity for on-call ${shift.displayName} (user ${shift.userId}, schedule ` +
          `${plan.monitoring.onCallSchedule}): map it in the server's integrations config, ` +
          `oncall.${plan.integrations.oncall}.identities["${shift.userId}"]`;
        rt.fail(id('policy.on-call'), missing, {
          userId: shift.userId,
          displayName: shift.displayName,
        });
        abortLaunch('check-failed', missing);
      }
      await rt.announce(
        `Heightened monitoring: ${plan.service} ${plan.version} for ${plan.monitoring.window}`,
        `${shift.displayName} is on call (${plan.monitoring.onCallSchedule}) and is asked to acknowledge as "${shift.person}".`,
      );
      carry = {
        startedAt: Date.now(),
        state: { evaluations: 0, runs: {}, totals: {} },
        nextSlot: 1,
        lateness: { slots: 0, maxLateMs: 0, latest: [] },
        onCall: { person: shift.person, name: shift.displayName, requestedAt: Date.now() },
        runs: 0,
        task: rt.carry(),
      };
    }
    const c = carry;

    // The on-call confirmation runs beside the monitoring; its timeout fails safe.
    let ackTimedOut = false;
    let ackFailed: unknown = null;
    if (!c.onCall.ackBy) {
      const remaining = Math.max(1, c.onCall.requestedAt + durationMs(plan.approvals.timeout) - Date.now());
      void rt.approvals
        .awaitApproval('onCallAck', {
          approvers: [c.onCall.person],
          timeoutMs: remaining,
          ...(c.onCall.request ? { resume: c.onCall.request } : {}),
        })
        .then(async (ack) => {
          if (!ack) {
            ackTimedOut = true;
            return;
          }
          c.onCall.ackBy = ack.by;
          c.onCall.ackAt = rt.now();
          rt.pass(
            id('policy.on-call'),
            {
              schedule: plan.monitoring.onCallSchedule,
              person: c.onCall.person,
              ...(c.onCall.name ? { name: c.onCall.name } : {}),
              acknowledgedAt: c.onCall.ackAt,
            },
            ack.by,
          );
        })
        // Cancelled with the launch (operator abort): nothing waits for the ack any more. Anything
        // else (the launch could not be read) must not leave the window waiting for ever.
        .catch((err) => {
          if (!isCancellation(err)) ackFailed = err;
        });
    }

    const run = await runAnalysis({
      plan,
      target,
      windowMs,
      intervalMs,
      state: c.state,
      startedAt: c.startedAt,
      nextSlot: c.nextSlot,
      // Bounded whatever a caller starting it by hand passes: at least 2, at most the default.
      maxEvaluations: Math.min(
        EVALUATIONS_PER_RUN,
        Math.max(2, Math.floor(Number(input.evaluationsPerRun) || EVALUATIONS_PER_RUN)),
      ),
      stopWhen: () => ackTimedOut || ackFailed !== null || workflowInfo().continueAsNewSuggested,
      onEvaluated: (results) => rt.reportAnalysis(results),
    });
    c.nextSlot = run.nextSlot;
    c.lateness = addLateness(c.lateness, run.slots, intervalMs);

    if (run.outcome === 'abort' && run.decision.action === 'abort') {
      rt.fail(id('verification.stable'), run.decision.detail, {
        totals: run.state.totals,
        lateness: c.lateness,
      });
      abortLaunch(
        run.decision.cause === 'threshold-breach' ? 'monitoring-breach' : run.decision.cause,
        `during heightened monitoring: ${run.decision.detail}`,
      );
    }
    if (ackFailed) {
      const reason = `the on-call acknowledgement could not be confirmed: ${(ackFailed as Error).message}`;
      rt.fail(id('policy.on-call'), reason);
      abortLaunch('check-failed', reason);
    }
    if (ackTimedOut) {
      rt.fail(
        id('policy.on-call'),
        `${c.onCall.person} did not acknowledge within ${plan.approvals.timeout}`,
      );
      abortLaunch('approval-timeout', `on-call ${c.onCall.person} did not acknowledge heightened monitoring`);
    }
    if (run.outcome === 'stopped') {
      // Not done yet: carry the counters, items and audit entries into a fresh run.
      // An ack being read back from the launch is part of this run, not lost with it.
      await condition(() => allHandlersFinished() && rt.approvals.settled);
      const request = rt.approvals.pending.find((p) => p.signal === 'onCallAck');
      return continueAsNew<typeof monitoring>({
        ...input,
        carry: {
          ...c,
          onCall: { ...c.onCall, ...(request ? { request } : {}) },
          runs: c.runs + 1,
          task: rt.carry(),
        },
      });
    }

    if (!c.onCall.ackBy) {
      // The window ended before the acknowledgement: wait for it, with what is left of the timeout.
      await condition(() => ackTimedOut || ackFailed !== null || !!c.onCall.ackBy);
      if (ackFailed) {
        const reason = `the on-call acknowledgement could not be confirmed: ${(ackFailed as Error).message}`;
        rt.fail(id('policy.on-call'), reason);
        abortLaunch('check-failed', reason);
      }
      if (ackTimedOut) {
        rt.fail(
          id('policy.on-call'),
          `${c.onCall.person} did not acknowledge within ${plan.approvals.timeout}`,
        );
        abortLaunch(
          'approval-timeout',
          `on-call ${c.onCall.person} did not acknowledge heightened monitoring`,
        );
      }
    }

    const expectedSlots = Math.ceil(windowMs / intervalMs);
    const judged = c.nextSlot - 1;
    for (const category of THRESHOLD_CATEGORIES) {
      const names = [...plan.analysis.thresholds, ...plan.analysis.burnRates]
        .filter((t) => t.category === category)
        .map((t) => t.name);
      // Every interval evaluated, and "no data" stayed rare: an interval without a value was not monitored.
      const blind = names.filter(
        (n) => (c.state.totals[n]?.inconclusive ?? 0) >= plan.analysis.consecutiveErrorLimit,
      );
      rt.verdict(
        id(`execution.${category}`),
        judged >= expectedSlots && blind.length === 0,
        {
          thresholds: names.map((n) => ({ name: n, ...c.state.totals[n] })),
          intervals: expectedSlots,
          evaluated: judged,
          lateness: c.lateness,
          runs: c.runs + 1,
        },
        judged < expectedSlots
          ? `${expectedSlots - judged} of ${expectedSlots} intervals were not evaluated`
          : `no value in ${plan.analysis.consecutiveErrorLimit}+ intervals for ${blind.join(', ')}`,
      );
    }
    const incidents = await checks.unresolvedIncidents({
      integration: plan.integrations.incidents,
      service: plan.service,
    });
    rt.verdict(
      id('verification.no-incidents'),
      incidents.length === 0,
      { incidents },
      `${incidents.length} unresolved incident(s): ${incidents.map((i) => i.title).join('; ')}`,
    );
    const allNames = [...plan.analysis.thresholds, ...plan.analysis.burnRates].map((t) => t.name);
    rt.verdict(
      id('verification.stable'),
      endedClean(c.state, allNames),
      { evaluations: c.state.evaluations, totals: c.state.totals },
      'a threshold ended the window in breach',
    );

    const failed = Object.values(rt.checklist).filter((i) => i.status === 'failed');
    if (failed.length > 0)
      abortLaunch(
        'check-failed',
        `monitoring verification failed: ${failed.map((f) => `${f.id} (${f.reason})`).join('; ')}`,
      );
    return { evaluations: c.state.evaluations, runs: c.runs + 1 };
  });
}

const count = z.number().int().min(0);
const person = z.string().min(1).max(120);
/**
 * The carry is this workflow's own continue-as-new state, but a start by hand can pass anything:
 * it is parsed, so a bad one fails the run cleanly instead of crashing its workflow task, and an
 * on-call request carried over keeps its one approver and its own signal.
 */
const monitoringCarrySchema = z.looseObject({
  startedAt: z.number(),
  state: z.object({
    evaluations: count,
    runs: z.record(z.string(), z.object({ breaches: count, inconclusive: count })),
    totals: z.record(
      z.string(),
      z.object({ pass: count, breach: count, inconclusive: count, last: z.number().nullable() }),
    ),
  }),
  nextSlot: z.number().int().min(1),
  lateness: z.object({
    slots: count,
    maxLateMs: z.number(),
    latest: z.array(z.looseObject({ slot: count, lateMs: z.number() })).max(LATE_SLOTS_KEPT),
  }),
  runs: count,
  onCall: z.looseObject({
    person,
    name: z.string().optional(),
    requestedAt: z.number(),
    ackBy: person.optional(),
    ackAt: z.string().optional(),
    request: z
      .looseObject({
        key: z.string().min(1),
        signal: z.literal('onCallAck'),
        task: z.literal('5.5'),
        approvers: z.array(person).length(1),
        requestedAt: z.string(),
        timeoutAt: z.string(),
      })
      .optional(),
  }),
  task: z.object({
    checklist: z.record(z.string(), z.looseObject({ id: z.string(), status: z.string() })),
    audit: z.array(
      z.looseObject({
        seq: z.number(),
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        outcome: z.string(),
      }),
    ),
    droppedRefusals: count.optional(),
  }),
});

function checkCarry(carry: unknown, plan: LaunchPlan) {
  if (carry === undefined) return;
  const parsed = monitoringCarrySchema.safeParse(carry);
  const sameApprover =
    !parsed.success ||
    !parsed.data.onCall.request ||
    parsed.data.onCall.request.approvers[0] === parsed.data.onCall.person;
  // Past the window's slots and their follow-ups no run of this plan ever gets: not its own carry.
  const lastSlot =
    Math.ceil(durationMs(plan.monitoring.window) / durationMs(plan.monitoring.interval)) +
    Math.max(plan.analysis.consecutiveBreaches, plan.analysis.consecutiveErrorLimit) +
    1;
  if (!parsed.success || !sameApprover || parsed.data.nextSlot > lastSlot)
    throw ApplicationFailure.create({
      type: INVALID_PLAN_TYPE,
      nonRetryable: true,
      message: 'invalid task input: carry: not the state a monitoring run continues with',
    });
}
