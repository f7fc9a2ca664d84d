/** Activity timeouts and retry policies, named for what they guard. */
import {
  CancellationScope,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { LaunchActivities } from '../activities/index.js';

/** A misconfigured integration name will not fix itself by retrying. */
const NON_RETRYABLE = ['UnknownIntegrationError'];

/** Read-only checks (CI status, docs, secrets, backups): retried a few times, then the item fails. */
export const CHECK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};

/**
 * Metric queries during analysis, as local activities: in the worker, inside the workflow task,
 * with the result recorded as one marker. An evaluation then costs one workflow task and a timer
 * instead of an activity task's round trip through the server (half the events of a monitoring
 * day). Fit: a query is read-only, short and bounded by its own timeout, and is simply run again
 * if the worker dies before the task completes. Few retries: a failure counts as inconclusive,
 * never as healthy.
 */
export const LOCAL_MEASUREMENT_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * Reads between a launch and its tasks (a task's state, the launch's accepted approvals) and the
 * identity checks, as local activities: short, read-only, run again if the worker dies. Retried
 * for a while: a workflow busy with a long task answers its query late, never wrongly.
 */
/** After such a read failed (a worker down past its retries), it is tried again this soon. */
export const READ_AGAIN_AFTER_MS = 5_000;
export const TRUST_READ_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 8 },
};

/** Changes to the world (deploy, traffic): idempotent, so retried with backoff. */
export const CHANGE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};

/** Health probing over a window: heartbeats so a stuck probe is noticed quickly. */
export const PROBE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
};

/** One attempt batch of an undo step; the workflow loops over batches until it succeeds, alerting. */
export const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};

export const checks = proxyActivities<LaunchActivities>(CHECK_OPTIONS);
export const localMeasurements = proxyLocalActivities<LaunchActivities>(LOCAL_MEASUREMENT_OPTIONS);
export const trustReads = proxyLocalActivities<LaunchActivities>(TRUST_READ_OPTIONS);
export const changes = proxyActivities<LaunchActivities>(CHANGE_OPTIONS);
export const probes = proxyActivities<LaunchActivities>(PROBE_OPTIONS);
export const undoChanges = proxyActivities<LaunchActivities>(UNDO_OPTIONS);

/** Runs a change to the world to its end even when the task is being cancelled (operator abort). */
export function uninterrupted<T>(change: () => Promise<T>): Promise<T> {
  return CancellationScope.nonCancellable(change);
}
