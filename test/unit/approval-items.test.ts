import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalBehindItem, checkApprovalItem } from '../../domain/approval-items.js';
import type { AcceptedApproval } from '../../domain/launch-state.js';
import { launchPlanSchema } from '../../domain/plan.js';
import { fastPlan } from '../support/plans.js';

const plan = launchPlanSchema.parse(fastPlan());
const NOW = '2026-12-01T10:00:00.000Z';
const goNoGoByAlice: AcceptedApproval = {
  seq: 7,
  name: 'goNoGo',
  task: '5.1',
  pendingKey: '5.1/goNoGo/2026-12-01T09:59:00.000Z',
  by: 'alice',
  identity: 'verified',
  payload: { by: 'alice', decision: 'go' },
};
const passed = (id: string, by: string) => ({ id, status: 'passed' as const, verifiedBy: by, evidence: {} });

test('items that record a person’s decision are named, and only those', () => {
  assert.deepEqual(approvalBehindItem('5.1.verification.go-no-go', plan), { task: '5.1', signal: 'goNoGo' });
  assert.deepEqual(approvalBehindItem('5.3.execution.metrics-reviewed-10', plan), {
    task: '5.3',
    signal: 'metricsReview',
    stage: 10,
  });
  assert.equal(approvalBehindItem('5.6.review.conducted', plan)?.signal, 'postLaunchReview');
  assert.equal(approvalBehindItem('5.5.policy.on-call', plan)?.signal, 'onCallAck');
  assert.equal(approvalBehindItem('5.1.system.ci-green', plan), null);
  // A stage the plan reviews automatically is passed by the analysis.
  const auto = launchPlanSchema.parse(
    fastPlan({
      ramp: fastPlan().ramp!.map((s) => ({ ...s, review: 'auto' as const })),
    }),
  );
  assert.equal(approvalBehindItem('5.3.execution.metrics-reviewed-10', auto), null);
});

test('a decision item stays passed only with the launch’s acceptance of that decision from that person', () => {
  const ok = checkApprovalItem(
    passed('5.1.verification.go-no-go', 'alice'),
    '5.1',
    [goNoGoByAlice],
    plan,
    NOW,
  );
  assert.equal(ok.item.status, 'passed');
  assert.deepEqual(ok.item.evidence?.approval, { seq: 7, identity: 'verified' });
  assert.equal(ok.refusal, undefined);

  for (const [item, task, accepted] of [
    [passed('5.1.verification.go-no-go', 'alice'), '5.1', []],
    [passed('5.1.verification.go-no-go', 'bob'), '5.1', [goNoGoByAlice]],
    [passed('5.6.review.conducted', 'alice'), '5.6', [goNoGoByAlice]],
    [
      passed('5.3.execution.metrics-reviewed-50', 'alice'),
      '5.3',
      [{ ...goNoGoByAlice, name: 'metricsReview', task: '5.3', stage: 10 }],
    ],
  ] as const) {
    const checked = checkApprovalItem(item, task, accepted, plan, NOW);
    assert.equal(checked.item.status, 'failed', item.id);
    assert.match(checked.refusal ?? '', /passed without a \w+ the launch accepted/);
  }
  // Failed decision items and engine-checked items are taken as they are.
  const failed = { id: '5.1.verification.go-no-go', status: 'failed' as const, reason: 'no-go' };
  assert.deepEqual(checkApprovalItem(failed, '5.1', [], plan, NOW).item, failed);
  const engine = passed('5.1.system.ci-green', 'launch-control');
  assert.deepEqual(checkApprovalItem(engine, '5.1', [], plan, NOW).item, engine);
});
