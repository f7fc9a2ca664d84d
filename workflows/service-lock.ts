/**
 * One launch per service and production environment at a time, enforced in the engine (a launch
 * started through the Temporal UI or CLI bypasses the API's 409). The lock is Temporal's workflow
 * id uniqueness: a launch holds `launch-lock/<service>/<production environment>` by running the
 * `serviceLock` child under it; a second launch's start of that child is refused by Temporal, and
 * that launch ends ABORTED before it touches anything. See docs/decisions.md.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  TemporalFailure,
  ApplicationFailure,
  condition,
  sleep,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
// Not re-exported by @temporalio/workflow; what `startChild` throws for a running id.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AuditInput } from '../domain/launch-state.js';
import type { LaunchPlan } from '../domain/plan.js';
import {
  conflictMessage,
  describeLockHolder,
  serviceLockWorkflowId,
  type ServiceLockState,
} from '../domain/service-lock.js';
import type { AbortDetails } from './abort.js';
import { checks } from './activity-options.js';

export type ServiceLockInput = { launchId: string };

/**
 * The lock itself: it only waits until its launch cancels it (or closes: parent close policy
 * TERMINATE). On purpose it has no signal, update or query handler, so no message can release it
 * or hand it to another launch; unhandled signals are dropped by the SDK.
 */
export async function serviceLock(_input: ServiceLockInput): Promise<void> {
  // Started by hand (UI, CLI) nobody would release it: it would block the service for ever.
  if (!workflowInfo().parent)
    throw ApplicationFailure.nonRetryable(
      'a service lock is held only by a launch (started as its child workflow), never by hand',
      'ServiceLockWithoutLaunch',
    );
  await condition(() => false);
}

/** A launch's hold on its service: `conflict` when another launch holds it (nothing is held then). */
export type ServiceLock = { conflict: AbortDetails | null; release: () => Promise<void> };

/** Starts after a lost lock at most this often (each loss is a person ending the lock by hand). */
const MAX_RETAKES = 10;
/** Reads of a lock that turned out free, or whose launch had just ended, before giving up. */
const MAX_ATTEMPTS = 5;

type Attempt =
  | { held: ChildWorkflowHandle<typeof serviceLock>; scope: CancellationScope }
  | { held: null; holder: ServiceLockState | null; detail: string };

/**
 * Takes the lock for `plan`'s service in its production environment, or says who holds it. Neither
 * an operator abort nor a cancel request of the launch releases it: the launch holds it through
 * its rollback and lets it go with `release()` at its end (and Temporal ends it when the launch
 * closes). `record` writes the audit entries: a refusal, and a lock lost and taken again.
 */
export async function acquireServiceLock(
  plan: LaunchPlan,
  launchId: string,
  record: (entry: AuditInput) => number,
): Promise<ServiceLock> {
  const environment = plan.environments.production;
  const workflowId = serviceLockWorkflowId(plan.service, environment);
  // Outside the launch's cancellation: only `release` cancels the lock.
  const shield = new CancellationScope({ cancellable: false });
  let released = false;
  let retakes = 0;

  async function attempt(): Promise<Attempt> {
    let detail = `${workflowId} stayed busy`;
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      const scope = new CancellationScope({ cancellable: true, parent: shield });
      try {
        const held = await scope.run(() =>
          startChild(serviceLock, {
            workflowId,
            args: [{ launchId }],
            parentClosePolicy: ParentClosePolicy.TERMINATE,
          }),
        );
        return { held, scope };
      } catch (err) {
        // A bug is rethrown (the workflow task retries); Temporal refusing for another reason is no lock.
        if (!(err instanceof TemporalFailure)) throw err;
        if (!(err instanceof WorkflowExecutionAlreadyStartedError))
          return { held: null, holder: null, detail: `${workflowId} could not be taken: ${messageOf(err)}` };
      }
      // Temporal does not say who holds the id: read it with the worker's client.
      let holder: ServiceLockState;
      try {
        holder = await shield.run(() => checks.readServiceLock({ service: plan.service, environment }));
      } catch (err) {
        const reason = err instanceof Error ? messageOf(err) : String(err);
        return {
          held: null,
          holder: null,
          detail: `${workflowId} is held (could not read by whom: ${reason})`,
        };
      }
      const mine =
        holder.state !== 'free' && holder.state !== 'occupied' && holder.holderLaunchId === launchId;
      if (holder.state === 'held' && !mine)
        return { held: null, holder, detail: describeLockHolder(holder, workflowId) };
      if (holder.state === 'occupied')
        return { held: null, holder, detail: describeLockHolder(holder, workflowId) };
      // Free again, or still held by an ended launch (or by an earlier run of this one, after a
      // reset) that Temporal is about to end: try again shortly.
      detail = describeLockHolder(holder, workflowId);
      await shield.run(() => sleep('1s'));
    }
    return { held: null, holder: null, detail };
  }

  const audit = (outcome: 'refused' | 'recorded', reason: string, holder?: ServiceLockState | null) =>
    record({
      actor: 'launch-control',
      action: 'service-lock',
      outcome,
      identity: 'system',
      via: 'workflow',
      reason,
      detail: {
        lock: workflowId,
        ...(holder && 'holderLaunchId' in holder ? { holderLaunchId: holder.holderLaunchId } : {}),
      },
    });

  let current = await attempt();
  if (!current.held) {
    const detail = conflictMessage(plan.service, environment, current.detail);
    audit('refused', detail, current.holder);
    return { conflict: { cause: 'launch-conflict', detail }, release: async () => undefined };
  }

  /** A lock that ended without `release` was cancelled or terminated by hand: say so, take it again. */
  const watch = (held: ChildWorkflowHandle<typeof serviceLock>) => {
    const ended = (outcome: unknown) => {
      if (released) return;
      const how = outcome instanceof Error ? messageOf(outcome) : 'completed';
      void shield.run(async () => {
        if (retakes >= MAX_RETAKES) {
          audit('recorded', `lock lost (${how}); not re-taken: lost ${retakes} times already`);
          return;
        }
        retakes += 1;
        current = await attempt();
        if (!current.held) {
          audit('recorded', `lock lost (${how}); not re-taken: ${current.detail}`, current.holder);
          return;
        }
        // `release` ran while the lock was being re-taken: let it go again at once.
        if (released) return current.scope.cancel();
        audit('recorded', `lock lost (${how}) and re-taken`);
        watch(current.held);
      });
    };
    void held.result().then(ended, ended);
  };
  watch(current.held);

  return {
    conflict: null,
    release: async () => {
      if (released) return;
      released = true;
      if (!current.held) return;
      current.scope.cancel();
      // Ended before the launch ends, so the next launch of the service never meets a stale lock.
      await current.held.result().catch(() => undefined);
    },
  };
}

/** The innermost useful message of a Temporal failure (an activity's or a child's cause). */
function messageOf(err: Error): string {
  return (err.cause instanceof Error ? err.cause.message : '') || err.message;
}
