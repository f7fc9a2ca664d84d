/**
 * 5.6 Post-launch review: the review owner sends the review; links are checked (only under the
 * configured docs, so a signal cannot make the worker call arbitrary URLs) and action items are
 * filed in the tracker with their owners. A review with a bad link can be sent again until the
 * review timeout.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { durationMs } from '../domain/durations.js';
import type { PostLaunchReview } from '../domain/messages.js';
import { checks } from './activity-options.js';
import { checkTaskInput } from './plan-check.js';
import { TaskRuntime, type TaskInput } from './task-runtime.js';

const id = (key: string) => `5.6.${key}`;
export const REVIEW_INCOMPLETE_TYPE = 'ReviewIncomplete';

export function postLaunchReview(input: TaskInput) {
  const { plan, launchId } = checkTaskInput(input);
  const rt = new TaskRuntime('5.6', plan, launchId, ['postLaunchReview']);
  return rt.finish(async () => {
    const deadline = Date.now() + durationMs(plan.review.timeout);

    for (;;) {
      const left = deadline - Date.now();
      const review =
        left > 0
          ? await rt.approvals.awaitApproval('postLaunchReview', {
              approvers: [plan.owners.review],
              timeoutMs: left,
            })
          : null;
      if (!review) {
        rt.fail(id('review.conducted'), `no complete review within ${plan.review.timeout}`);
        throw ApplicationFailure.create({
          type: REVIEW_INCOMPLETE_TYPE,
          nonRetryable: true,
          message: `post-launch review not completed within ${plan.review.timeout}`,
        });
      }
      if (
        await recordReview(
          rt,
          plan.integrations.docs,
          plan.integrations.tracker,
          plan.review.trackerProject,
          launchId,
          review,
        )
      ) {
        return { reviewedBy: review.by };
      }
    }
  });
}

/** Verifies and records one review; true when every item passed. */
async function recordReview(
  rt: TaskRuntime,
  docs: string,
  tracker: string,
  project: string,
  launchId: string,
  review: PostLaunchReview,
) {
  rt.pass(id('review.conducted'), { by: review.by }, review.by);
  rt.pass(
    id('review.issues'),
    { issues: review.issues, note: review.issues.length === 0 ? 'no issues reported' : undefined },
    review.by,
  );
  rt.pass(id('review.improvements'), { improvements: review.improvements }, review.by);
  const links = await checks.checkDocLinks({
    integration: docs,
    urls: [review.runbooksUrl, review.architectureDocsUrl],
  });
  for (const [key, link] of [
    ['documentation.runbooks', links[0]],
    ['documentation.architecture-docs', links[1]],
  ] as const) {
    const ok = !!link && link.allowed && link.reachable;
    rt.verdict(
      id(key),
      ok,
      { ...link },
      !link?.allowed
        ? 'the link is not under the configured documentation'
        : `not reachable: ${link?.detail}`,
    );
  }
  rt.pass(id('documentation.lessons'), { lessons: review.lessons }, review.by);
  const filed = await checks.fileActionItems({
    integration: tracker,
    project,
    items: review.actionItems.map((a) => ({
      launchId,
      title: a.title,
      owner: a.owner,
      ...(a.due ? { due: a.due } : {}),
    })),
  });
  rt.verdict(
    id('verification.action-items-tracked'),
    filed.length === review.actionItems.length && filed.every((f) => !!f.url),
    { filed },
    'some action items were not filed',
  );
  const unassigned = review.actionItems.filter((a, i) => filed[i]?.assignee !== a.owner);
  rt.verdict(
    id('verification.ownership'),
    unassigned.length === 0,
    { owners: review.actionItems.map((a) => ({ title: a.title, owner: a.owner })) },
    `not assigned to their owner: ${unassigned.map((a) => a.title).join(', ')}`,
  );
  return Object.values(rt.checklist).every((i) => i.status === 'passed');
}
