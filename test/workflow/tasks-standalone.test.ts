/** Each task workflow also runs on its own (a standalone readiness review, lockdown, monitoring). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { analysisQuery, auditQuery, checklistQuery, taskStateQuery } from '../../workflows/messages.js';
import { lockdown } from '../../workflows/lockdown.js';
import { monitoring } from '../../workflows/monitoring.js';
import { readiness } from '../../workflows/readiness.js';
import { launchPlanSchema } from '../../domain/plan.js';
import { fastPlan } from '../support/plans.js';
import { assertReplays } from '../support/replay.js';
import { assertNoFailedWorkflowTasks, eventually, startHarness, type Harness } from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const planFor = (service: string, overrides: Partial<LaunchPlanInput> = {}) =>
  launchPlanSchema.parse(fastPlan({ service, ...overrides }));

describe('standalone tasks', { concurrency: true }, () => {
  test('readiness alone: checks run, a go/no-go signalled straight to it is decided and audited there', async () => {
    const plan = planFor('solo-ready');
    const handle = await h.env.client.workflow.start(readiness, {
      taskQueue: h.taskQueue,
      workflowId: 'solo-ready/readiness',
      args: [{ plan, launchId: 'solo-ready' }],
    });
    await eventually(
      () => handle.query(checklistQuery),
      (c) => c['5.1.verification.review-conducted']?.status === 'passed',
      'review conducted',
    );
    await handle.signal('goNoGo', { by: 'eve', decision: 'go' });
    await handle.signal('goNoGo', { by: 'bob', decision: 'go' });
    assert.equal((await handle.result()).decidedBy, 'bob');
    const checklist = await handle.query(checklistQuery);
    assert.equal(Object.values(checklist).filter((i) => i.status === 'passed').length, 12);
    const audit = await handle.query(auditQuery);
    assert.deepEqual(
      audit.map((e) => [e.seq, e.actor, e.outcome]),
      [
        [1, 'eve', 'refused'],
        [2, 'bob', 'accepted'],
      ],
    );
    await assertReplays([handle]);
  });

  test('a task cancelled while its approval request is being announced ends cleanly (no failed workflow task)', async () => {
    const plan = planFor('solo-cancel');
    // The go/no-go announcement of this launch only: the chat answers slowly.
    h.world.delayNext('/hooks/slack/', 2, 4_000, (r) =>
      r.body.includes('Approval needed: goNoGo for solo-cancel'),
    );
    const handle = await h.env.client.workflow.start(readiness, {
      taskQueue: h.taskQueue,
      workflowId: 'solo-cancel/readiness',
      args: [{ plan, launchId: 'solo-cancel' }],
    });
    await eventually(
      () => handle.query(taskStateQuery),
      (s) => s.pending.some((p) => p.signal === 'goNoGo'),
      'go/no-go requested (announcement under way)',
    );
    await handle.cancel();
    await assert.rejects(handle.result());
    assert.notEqual((await handle.describe()).status.name, 'RUNNING');
    await assertNoFailedWorkflowTasks(h, [handle.workflowId]);
  });

  test('monitoring alone continues-as-new to keep history bounded and still covers every interval', async () => {
    const plan = planFor('solo-watch', {
      monitoring: { window: '6s', interval: '1s', onCallSchedule: 'primary' },
    });
    const handle = await h.env.client.workflow.start(monitoring, {
      taskQueue: h.taskQueue,
      workflowId: 'solo-watch/monitoring',
      args: [{ plan, launchId: 'solo-watch', evaluationsPerRun: 2 }],
    });
    await eventually(
      () => handle.query(analysisQuery),
      (a) => a !== null,
      'first evaluation',
    );
    await handle.signal('onCallAck', { by: 'olivia@example.com' });
    const result = await handle.result();
    assert.ok(result.runs >= 3, `continued as new (${result.runs} runs)`);
    assert.ok(result.evaluations >= 6, `${result.evaluations} evaluations`);
    const checklist = await h.env.client.workflow.getHandle('solo-watch/monitoring').query(checklistQuery);
    const items = Object.values(checklist);
    assert.deepEqual(
      items.filter((i) => i.status !== 'passed').map((i) => `${i.id} ${i.reason}`),
      [],
    );
    assert.equal(items.length, 8);
    const firstRun = await h.env.client.workflow
      .getHandle('solo-watch/monitoring', handle.firstExecutionRunId)
      .fetchHistory();
    assert.ok(
      firstRun.events!.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
      'the first run ended in continue-as-new',
    );
    assert.ok(firstRun.events!.length < 200, `first run has ${firstRun.events!.length} events`);
  });

  test('lockdown alone holds its own freeze: the gate refuses, the refusal is audited, the freeze ends with its window', async () => {
    const plan = planFor('solo-lock', {
      launchWindow: { start: 'now-1m', end: 'now+4s' },
      freezeWindow: { start: 'now-2m', end: 'now+5s' },
    });
    const handle = await h.env.client.workflow.start(lockdown, {
      taskQueue: h.taskQueue,
      workflowId: 'solo-lock/lockdown',
      args: [{ plan, launchId: 'solo-lock' }],
    });
    const result = await handle.result();
    assert.match(result.snapshot.env.sha256, /^[0-9a-f]{64}$/);
    const checklist = await handle.query(checklistQuery);
    assert.equal(Object.values(checklist).filter((i) => i.status === 'passed').length, 8);
    const audit = await handle.query(auditQuery);
    assert.deepEqual(
      audit.map((e) => `${e.action}:${e.outcome}`),
      ['freeze-registered:recorded', 'configChangeRequest:refused', 'freeze-lifted:recorded'],
    );
    assert.equal(checklist['5.2.configuration.env-locked']?.evidence?.keys instanceof Array, true);
    assert.ok(
      !JSON.stringify(checklist).includes('LOG_LEVEL=info'),
      'env values are not copied into history',
    );
  });
});
