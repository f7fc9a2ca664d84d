/** Plans reach workflows from the API, the Temporal UI or the CLI: every workflow checks its own. */
import { ApplicationFailure } from '@temporalio/workflow';
import { checkPlan, type LaunchPlan } from '../domain/plan.js';

export const INVALID_PLAN_TYPE = 'InvalidLaunchPlan';

export function checkPlanInWorkflow(input: unknown): LaunchPlan {
  const result = checkPlan(input);
  if (result.ok) return result.plan;
  throw ApplicationFailure.create({
    type: INVALID_PLAN_TYPE,
    nonRetryable: true,
    message: `invalid launch plan: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    details: [result.errors],
  });
}
