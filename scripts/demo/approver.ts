/** Plays the humans of a launch (tests, npm run demo): answers each pending approval as it appears, by signal, as the UI does. */
import type { WorkflowHandle } from '@temporalio/client';
import type { LaunchStatus, PendingApproval } from '../../domain/launch-state.js';
import { statusQuery } from '../../workflows/messages.js';

export type Answer = (pending: PendingApproval) => { name: string; payload: unknown } | null;

export const approveEverything: Answer = (p) => {
  const by = p.approvers[0] ?? 'nobody';
  switch (p.signal) {
    case 'goNoGo':
      return { name: 'goNoGo', payload: { by, decision: 'go', comment: 'checks look good' } };
    case 'metricsReview':
      return { name: 'metricsReview', payload: { by, stage: p.stage, verdict: 'proceed' } };
    case 'onCallAck':
      return { name: 'onCallAck', payload: { by } };
    case 'postLaunchReview':
      return { name: 'postLaunchReview', payload: goodReview(by, p) };
    default:
      return null;
  }
};

export function goodReview(by: string, _p?: PendingApproval, docsBase = process.env.WORLD_DOCS_BASE ?? '') {
  return {
    by,
    issues: ['p99 latency rose 5% at 50%'],
    improvements: ['shorter 0% window'],
    lessons: 'The drill caught the bad build in seconds.',
    runbooksUrl: `${docsBase}runbooks/checkout`,
    architectureDocsUrl: `${docsBase}architecture/checkout`,
    actionItems: [{ title: 'Tune the latency alert', owner: 'mia', due: '2026-12-31' }],
  };
}

/** Answers pending approvals until the workflow closes; returns the answers sent. */
export async function autopilot(handle: WorkflowHandle, answer: Answer = approveEverything) {
  const sent: { name: string; payload: unknown }[] = [];
  const answered = new Set<string>();
  let closed = false;
  void handle.result().then(
    () => (closed = true),
    () => (closed = true),
  );
  while (!closed) {
    try {
      const status: LaunchStatus = await handle.query(statusQuery);
      for (const p of status.pendingApprovals) {
        const key = `${p.signal}:${p.stage ?? ''}:${p.requestedAt}`;
        if (answered.has(key)) continue;
        answered.add(key);
        const message = answer(p);
        if (!message) continue;
        await handle.signal(message.name, message.payload);
        sent.push(message);
      }
    } catch {
      // not started yet, closing, or the test environment is going away
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return sent;
}
