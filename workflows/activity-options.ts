/** Activity timeouts and retry policies, named for what they guard. */
import { CancellationScope, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
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

/** Metric queries during analysis: short, few retries; a failure counts as inconclusive, never as healthy. */
export const MEASUREMENT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE },
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
export const measurements = proxyActivities<LaunchActivities>(MEASUREMENT_OPTIONS);
export const changes = proxyActivities<LaunchActivities>(CHANGE_OPTIONS);
export const probes = proxyActivities<LaunchActivities>(PROBE_OPTIONS);
export const undoChanges = proxyActivities<LaunchActivities>(UNDO_OPTIONS);

/** Runs a change to the world to its end even when the task is being cancelled (operator abort). */
export function uninterrupted<T>(change: () => Promise<T>): Promise<T> {
  return CancellationScope.nonCancellable(change);
}
