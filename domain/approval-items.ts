/**
 * Checklist items that record a person's decision. Only an approval the launch itself accepted can
 * pass one: a task's outcome that passes such an item without a matching acceptance is a defect,
 * and the launch fails the item instead of trusting it.
 */
import type { ItemState } from './checklist.js';
import type { TaskId } from './checklist-catalog.js';
import type { AcceptedApproval } from './launch-state.js';
import type { SignalName } from './messages.js';
import type { LaunchPlan } from './plan.js';

export type ApprovalBehindItem = { task: TaskId; signal: SignalName; stage?: number };

const REVIEW_ITEMS = [
  '5.6.review.conducted',
  '5.6.review.issues',
  '5.6.review.improvements',
  '5.6.documentation.lessons',
];

/** The approval an item's pass stands on, or null when the engine's own checks pass it. */
export function approvalBehindItem(itemId: string, plan: LaunchPlan): ApprovalBehindItem | null {
  if (itemId === '5.1.verification.go-no-go') return { task: '5.1', signal: 'goNoGo' };
  if (itemId === '5.5.policy.on-call') return { task: '5.5', signal: 'onCallAck' };
  if (REVIEW_ITEMS.includes(itemId)) return { task: '5.6', signal: 'postLaunchReview' };
  const review = /^5\.3\.execution\.metrics-reviewed-(\d+)$/.exec(itemId);
  if (review) {
    const stage = Number(review[1]);
    // A stage the plan reviews automatically is passed by the analysis, not by a person.
    const manual = plan.ramp.some((s) => s.percent === stage && s.review === 'manual');
    return manual ? { task: '5.3', signal: 'metricsReview', stage } : null;
  }
  return null;
}

/**
 * A task's item as the launch records it: an item that records a person's decision stays passed
 * only when the launch accepted that decision from that person (the acceptance is added to its
 * evidence); otherwise it is failed, with the reason (`refusal`) for the audit log.
 */
export function checkApprovalItem(
  item: ItemState,
  task: TaskId,
  accepted: readonly AcceptedApproval[],
  plan: LaunchPlan,
  now: string,
): { item: ItemState; refusal?: string } {
  const needed = approvalBehindItem(item.id, plan);
  if (!needed || item.status !== 'passed') return { item };
  const approval = accepted.find(
    (a) =>
      a.task === task &&
      a.task === needed.task &&
      a.name === needed.signal &&
      a.by === item.verifiedBy &&
      (needed.stage === undefined || a.stage === needed.stage),
  );
  if (approval)
    return {
      item: {
        ...item,
        evidence: { ...item.evidence, approval: { seq: approval.seq, identity: approval.identity } },
      },
    };
  const refusal = `passed without a ${needed.signal} the launch accepted from ${item.verifiedBy ?? 'anyone'}`;
  return {
    item: { id: item.id, status: 'failed', reason: refusal, verifiedAt: now, verifiedBy: 'launch-control' },
    refusal,
  };
}
