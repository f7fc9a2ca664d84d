import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decidePendingApproval } from '../../domain/approvals.js';
import type { PendingApproval } from '../../domain/launch-state.js';

const pending = (
  signal: PendingApproval['signal'],
  approvers: string[],
  stage?: number,
): PendingApproval => ({
  key: `5.3/${signal}/${stage ?? ''}`,
  signal,
  task: '5.3',
  approvers,
  requestedAt: '2026-01-01T00:00:00Z',
  timeoutAt: '2026-01-01T01:00:00Z',
  expects: {},
  ...(stage === undefined ? {} : { stage }),
});

test('accepted only when pending, for the same stage, from a listed approver', () => {
  const waiting = [pending('metricsReview', ['alice'], 10)];
  assert.equal(
    decidePendingApproval('metricsReview', { by: 'alice', stage: 10, verdict: 'proceed' }, waiting).accepted,
    true,
  );
  const wrongStage = decidePendingApproval(
    'metricsReview',
    { by: 'alice', stage: 50, verdict: 'proceed' },
    waiting,
  );
  assert.deepEqual(!wrongStage.accepted && [wrongStage.code, wrongStage.reason], [
    'conflict',
    'stage 50 is not awaiting review (awaiting: 10)',
  ]);
  const stranger = decidePendingApproval(
    'metricsReview',
    { by: 'eve', stage: 10, verdict: 'proceed' },
    waiting,
  );
  assert.deepEqual(!stranger.accepted && stranger.code, 'forbidden');
  const nothing = decidePendingApproval('goNoGo', { by: 'alice', decision: 'go' }, waiting);
  assert.deepEqual(!nothing.accepted && nothing.code, 'conflict');
});

test('malformed payloads and unknown names are refused with the reason, never thrown', () => {
  for (const raw of [
    undefined,
    null,
    42,
    'go',
    [],
    { by: 'alice' },
    { by: 'alice', decision: 'go', extra: 1 },
  ]) {
    const decision = decidePendingApproval('goNoGo', raw, [pending('goNoGo', ['alice'])]);
    assert.equal(decision.accepted, false, JSON.stringify(raw));
    assert.equal(!decision.accepted && decision.code, 'invalid');
  }
  const unknown = decidePendingApproval('shipIt', { by: 'alice' }, []);
  assert.match(!unknown.accepted ? unknown.reason : '', /unknown signal "shipIt"/);
});

test('with the plan, someone it does not list is forbidden even when nothing is pending', async () => {
  const { launchPlanSchema } = await import('../../domain/plan.js');
  const { fastPlan } = await import('../support/plans.js');
  const plan = launchPlanSchema.parse(fastPlan());
  const stranger = decidePendingApproval('goNoGo', { by: 'mallory', decision: 'go' }, [], plan);
  assert.equal(!stranger.accepted && stranger.code, 'forbidden');
  const early = decidePendingApproval('goNoGo', { by: 'alice', decision: 'go' }, [], plan);
  assert.equal(!early.accepted && early.code, 'conflict');
});
