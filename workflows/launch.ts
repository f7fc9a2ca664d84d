/**
 * The parent launch (workflow id = launch id). Runs the six tasks as child workflows in the order
 * 5.1 → 5.2 → 5.4 → 5.3 → 5.5 → 5.6, promotes, completes the checklist and ends `LIVE`; or, on
 * any abort cause, runs the compensations pushed so far (saga) and ends `ABORTED` (production
 * untouched), `ROLLED_BACK`, or `FAILED` (needs a human; says why). Its handlers (approvals,
 * abort, overrides, task prompts) live in `LaunchDesk`; its record in `LaunchBook`.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  getExternalWorkflowHandle,
  startChild,
  TemporalFailure,
  type Workflow,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { AbortInfo, ActivePhase, TerminalPhase } from '../domain/launch-state.js';
import { launchIdFor } from '../domain/plan.js';
import { abortDetailsOf, type AbortDetails } from './abort.js';
import { changes, checks, undoChanges } from './activity-options.js';
import { Compensations } from './compensation.js';
import { completePhase5 } from './completion.js';
import { FreezeDesk } from './freeze.js';
import { LaunchBook } from './launch-book.js';
import { LaunchDesk } from './launch-desk.js';
import { lockdown } from './lockdown.js';
import type { TaskOutcome, WithOutcome } from './messages.js';
import { countAbort, countLaunchEnded } from './metrics.js';
import { monitoring } from './monitoring.js';
import { checkPlanInWorkflow, INVALID_PLAN_TYPE } from './plan-check.js';
import { readiness } from './readiness.js';
import { postLaunchReview } from './review.js';
import { rollbackDrill } from './rollback-drill.js';
import { acquireServiceLock } from './service-lock.js';
import { TASK_FAILED_TYPE, type TaskInput } from './task-runtime.js';
import { trafficRamp } from './traffic.js';

export type LaunchInput = {
  plan: unknown;
  /** Heightened monitoring continues-as-new after this many evaluations (2–400; tests use few). */
  monitoringEvaluationsPerRun?: number;
};
export type LaunchResult = { launchId: string; phase: TerminalPhase; abort: AbortInfo | null };

/** Each task: its workflow, the phase the launch is in while it runs, and its child workflow id suffix. */
const TASKS = {
  '5.1': { workflow: readiness, phase: 'READINESS', name: 'readiness' },
  '5.2': { workflow: lockdown, phase: 'LOCKDOWN', name: 'lockdown' },
  '5.4': { workflow: rollbackDrill, phase: 'ROLLBACK_DRILL', name: 'rollback-drill' },
  '5.3': { workflow: trafficRamp, phase: 'TRAFFIC', name: 'traffic' },
  '5.5': { workflow: monitoring, phase: 'MONITORING', name: 'monitoring' },
  '5.6': { workflow: postLaunchReview, phase: 'REVIEW', name: 'review' },
} satisfies Record<Exclude<TaskId, 'completion'>, { workflow: Workflow; phase: ActivePhase; name: string }>;
type TaskResult<K extends keyof typeof TASKS> = Awaited<ReturnType<(typeof TASKS)[K]['workflow']>>;

class LaunchAborted extends Error {}

export async function launch(input: LaunchInput): Promise<LaunchResult> {
  // `input` itself may be anything when started from the UI or CLI (no arguments, a bare plan).
  const plan = checkPlanInWorkflow((input as Partial<LaunchInput> | null | undefined)?.plan);
  const launchId = launchIdFor(plan);
  // Proofs, codes and the tasks' workflow ids name the launch by this id, and the API reaches it
  // by its workflow id: the two must be one (a decoy could otherwise start another launch's tasks).
  if (workflowInfo().workflowId !== launchId)
    throw ApplicationFailure.create({
      type: INVALID_PLAN_TYPE,
      nonRetryable: true,
      message: `invalid launch plan: launchId: the launch id "${launchId}" must be the workflow id ("${workflowInfo().workflowId}")`,
    });
  const evaluationsPerRun = (input as Partial<LaunchInput> | null | undefined)?.monitoringEvaluationsPerRun;
  const book = new LaunchBook(plan, launchId);
  const freeze = new FreezeDesk(plan, launchId, (entry) => book.record(entry));
  const undo = new Compensations(plan, launchId, book);
  let activeScope: CancellationScope | null = null;
  const desk = new LaunchDesk(plan, launchId, book, freeze, () => {
    activeScope?.cancel();
    // The scope cancels the task's first run; after a continue-as-new only the id reaches the
    // run in progress.
    const running = book.status.activeTaskWorkflowId;
    if (running)
      void getExternalWorkflowHandle(running)
        .cancel()
        .catch(() => undefined);
  });
  const prod = { service: plan.service, environment: plan.environments.production };

  // One launch per service and production environment: a second ends here, having touched nothing.
  const lock = await acquireServiceLock(plan, launchId, (entry) => book.record(entry));
  if (lock.conflict) return finish('ABORTED', lock.conflict);

  let promoted = false;
  try {
    await runTask('5.1');
    freeze.activate();
    undo.push('lift the config freeze', async () => freeze.lift('launch stopped'));
    const locked = await runTask('5.2');
    await runTask('5.4');

    // Production undos run only if the ramp really changed production (its state or outcome says so).
    undo.pushForProduction(`redeploy ${plan.previousVersion} to the canary slot`, () =>
      redeployPrevious('canary'),
    );
    undo.pushForProduction('send all traffic to stable', async () => {
      const split = await undoChanges.setTraffic({
        integration: plan.integrations.traffic,
        ...prod,
        percent: 0,
      });
      book.setTraffic(split.readBack);
    });
    await runTask('5.3');
    await runTask('5.5');

    // Promote: the new version becomes stable and takes the traffic back from the canary slot.
    stopIfAborted();
    undo.pushForProduction(`redeploy ${plan.previousVersion} to the stable slot`, () =>
      redeployPrevious('stable'),
    );
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
    stopIfAborted();
    promoted = true;
    undo.clear();

    await runTask('5.6');
    const complete = await completePhase5(plan, book, locked.snapshot);
    freeze.lift('launch complete');
    return finish(
      complete.ok ? 'LIVE' : 'FAILED',
      complete.ok ? null : { cause: 'check-failed', detail: complete.reason },
    );
  } catch (err) {
    // A bug (TypeError…) is rethrown: the workflow task retries until the code is fixed.
    if (!(err instanceof LaunchAborted) && !(err instanceof TemporalFailure)) throw err;
    const details: AbortDetails = desk.abortRequest ?? abortDetailsOf(err);
    if (promoted) {
      // After promotion there is nothing to roll back to automatically; a human decides.
      freeze.lift('launch stopped after promotion');
      return finish('FAILED', details);
    }
    markAborted(details);
    book.setPhase('ROLLING_BACK');
    // The chat message and the first undo are scheduled together: traffic leaves the bad version
    // without waiting for chat (bench: ~60 ms of the abort reaction was this wait).
    const announced = CancellationScope.nonCancellable(() => announceAbort(details));
    await CancellationScope.nonCancellable(() => undo.runAll(details));
    await announced;
    return finish(book.productionTouched ? 'ROLLED_BACK' : 'ABORTED', details);
  }

  function stopIfAborted() {
    if (desk.abortRequest) throw new LaunchAborted();
  }

  /**
   * Runs one task as a child workflow; an operator abort cancels it. What the task did reaches the
   * checklist and audit only from its outcome, as Temporal reports it (result or failure details).
   */
  async function runTask<K extends keyof typeof TASKS>(task: K): Promise<TaskResult<K>> {
    stopIfAborted();
    const { workflow, phase, name } = TASKS[task];
    book.setPhase(phase, task);
    book.status.activeTaskWorkflowId = `${launchId}/${name}`;
    const scope = new CancellationScope();
    activeScope = scope;
    try {
      const result = (await scope.run(async () => {
        const child = await startChild(workflow as Workflow, {
          workflowId: book.status.activeTaskWorkflowId!,
          args: [
            {
              plan,
              launchId,
              ...(task === '5.5' && typeof evaluationsPerRun === 'number' ? { evaluationsPerRun } : {}),
            } satisfies TaskInput & { evaluationsPerRun?: number },
          ],
        });
        return child.result();
      })) as WithOutcome<object>;
      book.applyOutcome(task, result.outcome);
      return result as TaskResult<K>;
    } catch (err) {
      const outcome = outcomeOfFailure(err);
      if (outcome) book.applyOutcome(task, outcome);
      else book.taskOutcomeUnknown(task, `task ${task} ended without an outcome: ${(err as Error).message}`);
      throw err;
    } finally {
      activeScope = null;
      book.status.activeTaskWorkflowId = null;
    }
  }

  async function redeployPrevious(slot: 'canary' | 'stable') {
    await undoChanges.deploy({
      integration: plan.integrations.deployer,
      ...prod,
      slot,
      version: plan.previousVersion,
    });
  }

  function markAborted(details: AbortDetails) {
    // keep the moment of the abort, not of the end
    book.status.abort ??= {
      ...details,
      at: new Date().toISOString(),
      ...(book.status.task ? { task: book.status.task } : {}),
    };
  }

  /** Best effort: the rollback must not wait on chat. */
  async function announceAbort(details: AbortDetails) {
    await notify(
      `ABORTING ${plan.service} ${plan.version}: rolling back`,
      `${details.cause}${details.by ? ` by ${details.by}` : ''}: ${details.detail}`,
      'critical',
    );
  }

  async function notify(title: string, text: string, severity: 'info' | 'critical') {
    await checks
      .notify({
        integration: plan.integrations.notifier,
        channels: plan.notifications.channels,
        message: { title, text, launchId, severity },
      })
      .catch(() => undefined);
  }

  async function finish(phase: TerminalPhase, details: AbortDetails | null): Promise<LaunchResult> {
    if (details) markAborted(details);
    book.setPhase(phase, null);
    await lock.release();
    countLaunchEnded(phase, plan.service);
    if (book.status.abort) countAbort(book.status.abort.cause, plan.service);
    await CancellationScope.nonCancellable(async () => {
      await notify(
        `${plan.service} ${plan.version}: ${phase}`,
        details ? `${details.cause}: ${details.detail}` : 'Gate 5 passed: production live.',
        phase === 'LIVE' ? 'info' : 'critical',
      );
      // An approval being checked as the launch ends still gets its answer (and audit entry).
      await condition(allHandlersFinished);
    });
    return { launchId, phase, abort: book.status.abort };
  }
}

/** The outcome a task failed with (`TaskRuntime.finish` puts it in the failure's details). */
function outcomeOfFailure(err: unknown): TaskOutcome | null {
  const failure = err instanceof ChildWorkflowFailure ? err.cause : null;
  if (!(failure instanceof ApplicationFailure) || failure.type !== TASK_FAILED_TYPE) return null;
  const outcome = failure.details?.[0] as TaskOutcome | undefined;
  return outcome && typeof outcome === 'object' && outcome.checklist ? outcome : null;
}
