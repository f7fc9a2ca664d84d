/** Plans reach workflows from the API, the Temporal UI or the CLI: every workflow checks its own. */
import { ApplicationFailure } from '@temporalio/workflow';
import { checkPlan, launchIdSchema, MAX_LAUNCH_ID_LENGTH, type LaunchPlan } from '../domain/plan.js';

export const INVALID_PLAN_TYPE = 'InvalidLaunchPlan';
/** A plan typed by hand can be wrong everywhere: the failure names this many fields, then counts. */
const MAX_NAMED_ERRORS = 20;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function checkPlanInWorkflow(input: unknown): LaunchPlan {
  const result = checkPlan(input);
  if (result.ok) return result.plan;
  // Bounded, whatever was sent (10,000 unknown keys, megabyte strings): the failure is in history.
  const errors = result.errors
    .slice(0, MAX_NAMED_ERRORS)
    .map((e) => ({ path: cut(e.path, 200), message: cut(e.message, 300) }));
  const more = result.errors.length - errors.length;
  throw ApplicationFailure.create({
    type: INVALID_PLAN_TYPE,
    nonRetryable: true,
    message: `invalid launch plan: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    details: [errors],
  });
}

/**
 * A task's input as it may arrive (started by hand, no arguments at all): an object with a valid
 * plan and launch id, or the same non-retryable failure as a bad plan, never a crashed task.
 */
export function checkTaskInput(input: unknown): { plan: LaunchPlan; launchId: string } {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const plan = checkPlanInWorkflow(raw.plan);
  const { launchId } = raw;
  // The same shape as the plan's and the API's: a task's launch is one the API can address.
  if (!launchIdSchema.safeParse(launchId).success) {
    throw ApplicationFailure.create({
      type: INVALID_PLAN_TYPE,
      nonRetryable: true,
      message: `invalid task input: launchId: a launch id is required (lower-case letters, digits, ".", "_" or "-", max ${MAX_LAUNCH_ID_LENGTH})`,
    });
  }
  return { plan, launchId: launchId as string };
}
