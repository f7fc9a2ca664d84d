/**
 * The baseline of the concurrent-launches bench: a bare Temporal workflow doing the same timers
 * and activities as one real launch (counted from its history, in the same order), with no-op
 * activities and none of Launch Control's logic (no child workflows, signals, queries, checklist).
 */
import { CancellationScope, proxyActivities, sleep } from '@temporalio/workflow';

export type BaselineActivities = { noop(): Promise<number> };

/** `a`: one activity; `t`: a timer that fired after `t` ms; `c`: a timer of `c` ms cancelled by the next step. */
export type BaselineStep = { a: 1 } | { t: number } | { c: number };

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1m' });

/** Runs the steps; returns how late each fired timer was seen by the next activity (ms). */
export async function baselineLaunch(steps: BaselineStep[]): Promise<{ lateness: number[] }> {
  const lateness: number[] = [];
  let pendingCancel: CancellationScope | null = null;
  let timerEnd: number | null = null;
  for (const step of steps) {
    if ('a' in step) {
      const ranAt = await noop();
      if (timerEnd !== null) lateness.push(ranAt - timerEnd);
      timerEnd = null;
      pendingCancel?.cancel();
      pendingCancel = null;
    } else if ('t' in step) {
      const start = Date.now();
      await sleep(step.t);
      timerEnd = start + step.t;
    } else {
      const scope = new CancellationScope();
      void scope.run(() => sleep(step.c)).catch(() => undefined);
      pendingCancel = scope;
    }
  }
  pendingCancel?.cancel();
  return { lateness };
}
