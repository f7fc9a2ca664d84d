/** Aborts at awkward moments, forged and failing inputs: the launch still ends right and puts production back. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { approveEverything, autopilot } from '../support/approver.js';
import { fastPlan } from '../support/plans.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const start = (service: string, overrides: Partial<LaunchPlanInput> = {}) =>
  startLaunch(h, service, overrides);

const noFailedWorkflowTasks = (ids: string[]) => assertNoFailedWorkflowTasks(h, ids);

describe('resilience', { concurrency: true }, () => {
  test('an abort during heightened monitoring, before the on-call ack, rolls back and closes the task', async () => {
    const handle = await start('watch-abort', {
      monitoring: { window: '30s', interval: '1s', onCallSchedule: 'p' },
    });
    void autopilot(handle, (p) => (p.signal === 'onCallAck' ? null : approveEverything(p)));
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'onCallAck'),
      'on-call ack pending',
      90_000,
    );
    await handle.signal('abort', { by: 'sre-sam', reason: 'pager storm' });
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK');
    assert.equal(h.world.getCanaryPercent('watch-abort', 'production'), 0);
    const child = await h.env.client.workflow.getHandle('watch-abort-launch/monitoring').describe();
    assert.notEqual(child.status.name, 'RUNNING');
    await noFailedWorkflowTasks(['watch-abort-launch', 'watch-abort-launch/monitoring']);
  });

  test('an abort during the rollback drill ends ABORTED (production untouched) and staging is put back', async () => {
    h.world.badVersions.add('9.9.9-slowbad');
    const handle = await start('drill-abort', {
      drill: {
        badVersion: '9.9.9-slowbad',
        detectionTimeout: '30s',
        recoveryEvaluations: 2,
        recoveryTimeout: '20s',
      },
      analysis: { ...fastPlan().analysis, consecutiveBreaches: 20 },
      ramp: fastPlan().ramp!.map((s) => ({ ...s, observationWindow: '20s' })),
    });
    void autopilot(handle);
    await eventually(
      () => handle.query(statusQuery),
      (s) =>
        s.phase === 'ROLLBACK_DRILL' &&
        h.world.getVersion('drill-abort', 'staging', 'stable') === '9.9.9-slowbad',
      'bad version on staging',
      60_000,
    );
    await handle.signal('abort', { by: 'dora', reason: 'drill takes too long' });
    const result = await handle.result();
    assert.equal(result.phase, 'ABORTED');
    assert.equal(result.abort?.cause, 'operator-abort');
    assert.equal(
      h.world.getVersion('drill-abort', 'staging', 'stable'),
      '1.0.0',
      'staging back on the previous version',
    );
    assert.equal(
      h.world.deployments.filter((d) => d.service === 'drill-abort' && d.environment === 'production').length,
      0,
    );
  });

  test('a metrics backend returning errors is inconclusive, never healthy: the limit aborts and rolls back', async () => {
    const handle = await start('blind');
    void autopilot(handle);
    // The router's own state: the 10 % stage lasts seconds, too short to catch by status polls on a busy machine.
    await eventually(
      async () => h.world.getCanaryPercent('blind', 'production'),
      (p) => p === 10,
      '10% traffic',
      60_000,
    );
    h.world.setMetric('lc_error_ratio', 'error', 'blind');
    try {
      const result = await handle.result();
      assert.equal(result.phase, 'ROLLED_BACK');
      assert.equal(result.abort?.cause, 'inconclusive-limit');
      assert.equal(h.world.getCanaryPercent('blind', 'production'), 0);
    } finally {
      h.world.setMetric('lc_error_ratio', null, 'blind');
    }
  });

  test('a rollback step that keeps failing is retried with alerts until it succeeds; traffic is never left split', async () => {
    h.world.badVersions.add('2.0.2-regressed');
    // Armed before the start: the bad version breaches within two intervals of 10 %, too soon to
    // poll for on a loaded machine. Only the undo's reset to 0 % after production took traffic fails.
    const isTrafficReset = (r: { method: string; body: string }) =>
      r.method === 'POST' &&
      (JSON.parse(r.body) as { canaryPercent?: number }).canaryPercent === 0 &&
      h.world.getCanaryPercent('stuck-router', 'production') > 0;
    h.world.failNext('/traffic/stuck-router/production', 5, 503, isTrafficReset);
    const handle = await start('stuck-router', { version: '2.0.2-regressed' });
    void autopilot(handle);
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK');
    assert.equal(h.world.getCanaryPercent('stuck-router', 'production'), 0);
    const status = await handle.query(statusQuery);
    const trafficUndo = status.compensations.filter((c) => c.step === 'send all traffic to stable');
    assert.ok(
      trafficUndo.some((c) => c.status === 'failed'),
      `failed attempt expected: ${JSON.stringify(status.compensations)} ${JSON.stringify(h.world.requests.filter((r) => r.path.startsWith('/traffic/stuck')).map((r) => r.method + r.path))}`,
    );
    assert.equal(trafficUndo.at(-1)?.status, 'done');
    assert.ok(
      h.world.notifications.some((n) => /ROLLBACK STUCK: stuck-router/.test(n.text)),
      'alerted while failing',
    );
  });

  test('a forged taskProgress signal is refused and audited; it cannot tick items', async () => {
    const handle = await start('forged');
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    await handle.signal('taskProgress', {
      task: '5.6',
      items: [{ id: '5.6.review.conducted', status: 'passed' }],
    });
    await handle.signal('taskProgress', undefined);
    await handle.signal('deliverApproval', { name: 'goNoGo', payload: { by: 'mallory', decision: 'go' } });
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.action === 'taskProgress').length >= 2,
      'refusals',
    );
    assert.ok(audit.filter((e) => e.action === 'taskProgress').every((e) => e.outcome === 'refused'));
    const checklist = await handle.query(checklistQuery);
    assert.equal(checklist['5.6.review.conducted'], undefined);
    assert.equal(
      (await handle.query(statusQuery)).phase,
      'READINESS',
      'the forged approval did not move the launch',
    );
    await handle.signal('abort', { by: 'sre-sam', reason: 'done' });
    assert.equal((await handle.result()).phase, 'ABORTED');
    await noFailedWorkflowTasks(['forged-launch', 'forged-launch/readiness']);
  });
});
