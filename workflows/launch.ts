/**
 * The parent launch (workflow id = launch id). Runs the six tasks as child workflows in the order
 * 5.1 → 5.2 → 5.4 → 5.3 → 5.5 → 5.6, promotes, completes the checklist and ends `LIVE`; or, on
 * any abort cause, runs the compensations pushed so far (saga) and ends `ABORTED` (production
 * untouched), `ROLLED_BACK`, or `FAILED` (needs a human; says why).
 */
import {
  CancellationScope,
  TemporalFailure,
  patched,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
  type Workflow,
} from '@temporalio/workflow';
import { decidePendingApproval, parseSignalPayload, signalNameForAudit } from '../domain/approvals.js';
import { accepted, refused } from './outcomes.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { AbortInfo, Phase, TerminalPhase } from '../domain/launch-state.js';
import { authorizedSenders, isSignalName, SIGNAL_NAMES, type SignalName } from '../domain/messages.js';
import { launchIdFor, type LaunchPlan } from '../domain/plan.js';
import { abortDetailsOf, type AbortDetails } from './abort.js';
import { changes, checks, undoChanges } from './activity-options.js';
import { Compensations } from './compensation.js';
import { completePhase5 } from './completion.js';
import { FreezeDesk } from './freeze.js';
import { LaunchBook } from './launch-book.js';
import { countAbort, countLaunchEnded } from './metrics.js';
import { lockdown } from './lockdown.js';
import {
  deliverApprovalSignal,
  publicSignals,
  SIGNAL_DESCRIPTIONS,
  submitSignalUpdate,
  type ApprovalOutcome,
} from './messages.js';
import { monitoring } from './monitoring.js';
import { checkPlanInWorkflow } from './plan-check.js';
import { readiness } from './readiness.js';
import { postLaunchReview } from './review.js';
import { rollbackDrill } from './rollback-drill.js';
import { acquireServiceLock } from './service-lock.js';
import { trafficRamp } from './traffic.js';
import { refuseUnhandledSignals } from './task-runtime.js';

/** Marks runs that forward an approval accepted before its task's start had resolved. */
export const APPROVALS_AFTER_CHILD_START_PATCH = 'approvals-after-child-start';

export type LaunchInput = { plan: unknown };
export type LaunchResult = { launchId: string; phase: TerminalPhase; abort: AbortInfo | null };

class LaunchAborted extends Error {}
type Via = 'signal' | 'update';
const ABORTABLE_PHASES: Phase[] = [
  'STARTING',
  'READINESS',
  'LOCKDOWN',
  'ROLLBACK_DRILL',
  'TRAFFIC',
  'MONITORING',
];

export async function launch(input: LaunchInput): Promise<LaunchResult> {
  // `input` itself may be anything when started from the UI or CLI (no arguments, a bare plan).
  const plan = checkPlanInWorkflow((input as Partial<LaunchInput> | null | undefined)?.plan);
  const launchId = launchIdFor(plan);
  const book = new LaunchBook(plan, launchId);
  const freeze = new FreezeDesk(plan, launchId, (entry) => book.record(entry));
  const undo = new Compensations(plan, launchId, book);
  let activeChild: ChildWorkflowHandle<Workflow> | null = null;
  // Accepted approvals that arrived in the same activation as their task's start (Temporal hands
  // a workflow its signals before the child-start resolution): forwarded once the handle exists.
  const undelivered: { name: SignalName; payload: unknown }[] = [];
  let activeScope: CancellationScope | null = null;
  let abortRequest: AbortDetails | null = null;

  const record = (entry: Parameters<LaunchBook['record']>[0]) => book.record(entry);

  /** goNoGo, metricsReview, onCallAck, postLaunchReview: checked here, forwarded to the waiting task. */
  const handleApproval = (name: SignalName, raw: unknown, via: Via): ApprovalOutcome => {
    const decision = decidePendingApproval(name, raw, book.pendingApprovals(), plan);
    if (!decision.accepted)
      return refused(record, {
        actor: decision.by,
        action: name,
        via,
        reason: decision.reason,
        code: decision.code,
      });
    book.consumePending(decision.pending);
    const payload = decision.payload as { by: string };
    const outcome = accepted(record, {
      actor: payload.by,
      action: name,
      via,
      task: decision.pending?.task,
      detail: { payload },
    });
    // If the task finished meanwhile nothing waits any more; the acceptance is audited either way.
    if (activeChild) void activeChild.signal(deliverApprovalSignal, { name, payload }).catch(() => undefined);
    else undelivered.push({ name, payload });
    return outcome;
  };

  const handleAbort = (raw: unknown, via: Via): ApprovalOutcome => {
    const parsed = parseSignalPayload('abort', raw);
    if (!parsed.accepted)
      return refused(record, {
        actor: parsed.by,
        action: 'abort',
        via,
        reason: parsed.reason,
        code: parsed.code,
      });
    const { by, reason } = parsed.payload as { by: string; reason: string };
    const allowed = authorizedSenders(plan, 'abort');
    if (!allowed.includes(by))
      return refused(record, {
        actor: by,
        action: 'abort',
        via,
        reason: `${by} may not abort; allowed: ${allowed.join(', ')}`,
        code: 'forbidden',
      });
    if (abortRequest || !ABORTABLE_PHASES.includes(book.status.phase))
      return refused(record, {
        actor: by,
        action: 'abort',
        via,
        reason: `nothing to abort in phase ${book.status.phase}`,
        code: 'conflict',
      });
    abortRequest = { cause: 'operator-abort', detail: reason, by };
    activeScope?.cancel();
    return accepted(record, { actor: by, action: 'abort', via, reason });
  };

  const dispatch = (name: string, raw: unknown, via: Via): ApprovalOutcome => {
    try {
      if (name === 'abort') return handleAbort(raw, via);
      if (name === 'freezeOverride') return freeze.override(raw, via);
      if (isSignalName(name)) return handleApproval(name, raw, via);
      const action = signalNameForAudit(name);
      const reason = `unknown signal "${action}"; known: ${SIGNAL_NAMES.join(', ')}`;
      return refused(record, { actor: '(unknown)', action, via, reason, code: 'invalid' });
    } catch (err) {
      // A handler must never fail the workflow task: record and refuse.
      const reason = `could not process: ${err instanceof Error ? err.message : String(err)}`;
      return refused(record, {
        actor: '(unknown)',
        action: signalNameForAudit(name),
        via,
        reason,
        code: 'invalid',
      });
    }
  };
  for (const name of SIGNAL_NAMES) {
    setHandler(publicSignals[name], (raw) => void dispatch(name, raw, 'signal'), {
      description: SIGNAL_DESCRIPTIONS[name],
    });
  }
  // Unknown names (and Temporal's reserved `__temporal_…`) are audited as refused, never a failed task.
  refuseUnhandledSignals((name, raw) => void dispatch(name, raw, 'signal'));
  setHandler(submitSignalUpdate, (req) => dispatch(String(req?.name), req?.payload, 'update'), {
    description:
      'Send a signal and learn whether it was accepted. JSON: {"name": "<signal>", "payload": {…}}',
  });

  /** Runs one task as a child workflow; an operator abort cancels it. */
  async function runTask<T>(
    phase: Phase,
    task: TaskId,
    fn: (input: { plan: LaunchPlan; launchId: string }) => Promise<T>,
    name: string,
  ): Promise<T> {
    if (abortRequest) throw new LaunchAborted();
    book.setPhase(phase, task);
    const scope = new CancellationScope();
    activeScope = scope;
    try {
      return await scope.run(async () => {
        const child = await startChild(fn as unknown as Workflow, {
          workflowId: `${launchId}/${name}`,
          args: [{ plan, launchId }],
        });
        activeChild = child;
        book.status.activeTaskWorkflowId = child.workflowId;
        // Runs before this patch dropped such approvals (the task waited until its timeout).
        if (undelivered.length > 0 && patched(APPROVALS_AFTER_CHILD_START_PATCH))
          for (const message of undelivered.splice(0))
            void child.signal(deliverApprovalSignal, message).catch(() => undefined);
        return (await child.result()) as T;
      });
    } finally {
      undelivered.length = 0;
      activeChild = null;
      activeScope = null;
      book.status.activeTaskWorkflowId = null;
      book.clearPending();
    }
  }

  // One launch per service and production environment: a second ends here, having touched nothing.
  const lock = await acquireServiceLock(plan, launchId, record);
  if (lock.conflict) return finish('ABORTED', lock.conflict);

  let promoted = false;
  try {
    await runTask('READINESS', '5.1', readiness, 'readiness');
    freeze.activate();
    undo.push('lift the config freeze', async () => freeze.lift('launch stopped'));
    const locked = await runTask('LOCKDOWN', '5.2', lockdown, 'lockdown');
    await runTask('ROLLBACK_DRILL', '5.4', rollbackDrill, 'rollback-drill');

    const prod = { service: plan.service, environment: plan.environments.production };
    const redeployPreviousOnRollback = (slot: 'canary' | 'stable') =>
      undo.pushForProduction(`redeploy ${plan.previousVersion} to the ${slot} slot`, async () => {
        await undoChanges.deploy({
          integration: plan.integrations.deployer,
          ...prod,
          slot,
          version: plan.previousVersion,
        });
      });
    // Production undos run only if the ramp really changed production (it reports so first).
    redeployPreviousOnRollback('canary');
    undo.pushForProduction('send all traffic to stable', async () => {
      const split = await undoChanges.setTraffic({
        integration: plan.integrations.traffic,
        ...prod,
        percent: 0,
      });
      book.setTraffic(split.readBack);
    });
    await runTask('TRAFFIC', '5.3', trafficRamp, 'traffic');
    await runTask('MONITORING', '5.5', monitoring, 'monitoring');

    // Promote: the new version becomes stable and takes the traffic back from the canary slot.
    if (abortRequest) throw new LaunchAborted();
    redeployPreviousOnRollback('stable');
    await changes.deploy({
      integration: plan.integrations.deployer,
      ...prod,
      slot: 'stable',
      version: plan.version,
    });
    const split = await changes.setTraffic({ integration: plan.integrations.traffic, ...prod, percent: 0 });
    book.setTraffic(100 - split.readBack);
    book.record({
      actor: 'launch-control',
      action: 'promoted',
      outcome: 'recorded',
      identity: 'system',
      via: 'workflow',
      detail: { stable: plan.version },
    });
    // An abort accepted while promoting is honoured: the undo stack still covers promotion.
    if (abortRequest) throw new LaunchAborted();
    promoted = true;
    undo.clear();

    await runTask('REVIEW', '5.6', postLaunchReview, 'review');
    const complete = await completePhase5(plan, book, locked.snapshot);
    freeze.lift('launch complete');
    return finish(
      complete.ok ? 'LIVE' : 'FAILED',
      complete.ok ? null : { cause: 'check-failed', detail: complete.reason },
    );
  } catch (err) {
    // A bug (TypeError…) is rethrown: the workflow task retries until the code is fixed.
    if (!(err instanceof LaunchAborted) && !(err instanceof TemporalFailure)) throw err;
    const details: AbortDetails = abortRequest ?? abortDetailsOf(err);
    if (promoted) {
      // After promotion there is nothing to roll back to automatically; a human decides.
      freeze.lift('launch stopped after promotion');
      return finish('FAILED', details);
    }
    book.status.abort = {
      ...details,
      at: new Date().toISOString(),
      ...(book.status.task ? { task: book.status.task } : {}),
    };
    book.setPhase('ROLLING_BACK');
    // The chat message and the first undo are scheduled together: traffic leaves the bad version
    // without waiting for chat (bench: ~60 ms of the abort reaction was this wait).
    const announced = CancellationScope.nonCancellable(() => announceAbort(details));
    await CancellationScope.nonCancellable(() => undo.runAll(details));
    await announced;
    return finish(book.productionTouched ? 'ROLLED_BACK' : 'ABORTED', details);
  }

  /** Best effort: the rollback must not wait on chat. */
  async function announceAbort(details: AbortDetails) {
    await checks
      .notify({
        integration: plan.integrations.notifier,
        channels: plan.notifications.channels,
        message: {
          title: `ABORTING ${plan.service} ${plan.version}: rolling back`,
          text: `${details.cause}${details.by ? ` by ${details.by}` : ''}: ${details.detail}`,
          launchId,
          severity: 'critical',
        },
      })
      .catch(() => undefined);
  }

  async function finish(phase: TerminalPhase, details: AbortDetails | null): Promise<LaunchResult> {
    if (details && !book.status.abort)
      // keep the moment of the abort, not of the end
      book.status.abort = {
        ...details,
        at: new Date().toISOString(),
        ...(book.status.task ? { task: book.status.task } : {}),
      };
    book.setPhase(phase, null);
    await lock.release();
    countLaunchEnded(phase, plan.service);
    if (book.status.abort) countAbort(book.status.abort.cause, plan.service);
    await CancellationScope.nonCancellable(() =>
      checks
        .notify({
          integration: plan.integrations.notifier,
          channels: plan.notifications.channels,
          message: {
            title: `${plan.service} ${plan.version}: ${phase}`,
            text: details ? `${details.cause}: ${details.detail}` : 'Gate 5 passed: production live.',
            launchId,
            severity: phase === 'LIVE' ? 'info' : 'critical',
          },
        })
        .catch(() => undefined),
    );
    return { launchId, phase, abort: book.status.abort };
  }
}
