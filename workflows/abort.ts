/** How a task tells its parent why the launch must stop, and how the parent reads it back. */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  isCancellation,
} from '@temporalio/workflow';
import type { AbortCause } from '../domain/launch-state.js';

export const LAUNCH_ABORT_TYPE = 'LaunchAbort';

export type AbortDetails = { cause: AbortCause; detail: string; by?: string };

/** Ends the current workflow with a non-retryable failure that carries the abort cause. */
export function abortLaunch(cause: AbortCause, detail: string, by?: string): never {
  throw ApplicationFailure.create({
    type: LAUNCH_ABORT_TYPE,
    message: `${cause}: ${detail}`,
    nonRetryable: true,
    details: [{ cause, detail, ...(by ? { by } : {}) } satisfies AbortDetails],
  });
}

/** Reads the abort cause out of whatever a task or activity threw. */
export function abortDetailsOf(err: unknown): AbortDetails {
  let current: unknown = err;
  while (current instanceof TemporalFailure) {
    if (current instanceof ApplicationFailure && current.type === LAUNCH_ABORT_TYPE) {
      const details = current.details?.[0] as AbortDetails | undefined;
      if (details?.cause) return details;
    }
    if (current instanceof ApplicationFailure && !(current.cause instanceof TemporalFailure)) {
      // A task failed for a stated reason (e.g. an invalid plan, an incomplete review): keep it.
      return { cause: 'check-failed', detail: `${current.type ?? 'Error'}: ${current.message}` };
    }
    if (current instanceof ActivityFailure) {
      return {
        cause: 'activity-failed',
        detail: `${current.activityType} failed: ${current.cause?.message ?? current.message}`,
      };
    }
    if (!(current instanceof ChildWorkflowFailure) && !current.cause) break;
    current = current.cause;
  }
  if (isCancellation(err)) return { cause: 'operator-abort', detail: 'cancelled' };
  return { cause: 'activity-failed', detail: err instanceof Error ? err.message : String(err) };
}
