/** The rollback of a launch, written out for the plan at hand (task 5.4 "Rollback steps documented"). */
import type { AbortCause } from './launch-state.js';
import type { LaunchPlan } from './plan.js';

export const ABORT_CAUSES: Record<AbortCause, string> = {
  'threshold-breach': 'an abort threshold breached analysis.consecutiveBreaches times in a row',
  'inconclusive-limit': 'a threshold had no usable value analysis.consecutiveErrorLimit times in a row',
  'analysis-unsettled':
    'a threshold still breaching or without data when the follow-up evaluations after its window ran out',
  'operator-abort': 'the abort signal from a rollback authority or owner',
  'no-go': 'a no-go decision at the readiness review, or "abort" at a metrics review',
  'approval-timeout': 'an approval not given within approvals.timeout',
  'monitoring-breach': 'a threshold breach during heightened monitoring',
  'check-failed': 'a readiness, lockdown or drill check failed',
  'activity-failed': 'an integration still failing after its retries',
  'launch-window-closed': 'the launch window closed before the ramp finished',
  'invalid-plan': 'a plan that fails validation',
  'launch-conflict': 'another launch of the service running in the same production environment',
};

export function rollbackSteps(plan: LaunchPlan): string[] {
  const env = plan.environments.production;
  return [
    `Set the canary share of ${plan.service} in ${env} to 0% through traffic router "${plan.integrations.traffic}" and read it back.`,
    `Redeploy ${plan.previousVersion} to the canary slot of ${env} through deployer "${plan.integrations.deployer}" and read the version back.`,
    'Lift the config freeze held by the launch.',
    `Notify ${plan.notifications.channels.join(', ')} with the cause, the evidence and the final traffic split.`,
    'Each step retries until it succeeds and alerts the channels while it fails; traffic is never left split.',
  ];
}
