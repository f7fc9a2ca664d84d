/**
 * Every abort cause of DESIGN §3 ends in the right terminal state, with production put back.
 * Tests run concurrently; each uses its own service so the world's state does not overlap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch } from '../../workflows/launch.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
import { fastPlan } from '../support/plans.js';
import { eventually, startHarness, startLaunch, type Harness } from '../support/temporal.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { assertReplays } from '../support/replay.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const start = (service: string, overrides: Partial<LaunchPlanInput> = {}) =>
  startLaunch(h, service, overrides);

describe('aborts', { concurrency: true }, () => {
  test('production unstable at completion (a breach confirmed by the next measurement) ends FAILED', async () => {
    const handle = await start('unstable-end');
    void autopilot(handle, (p) => {
      // Answering the review is the last step before completion measures production.
      if (p.signal !== 'postLaunchReview') return approveEverything(p);
      h.world.setMetric('lc_latency_p99_seconds', 5, 'unstable-end');
      return { name: p.signal, payload: goodReview(p.approvers[0]!, p, `${h.world.url}/docs/`) };
    });
    try {
      const result = await handle.result();
      assert.equal(result.phase, 'FAILED', JSON.stringify(result));
      assert.match(
        result.abort?.detail ?? '',
        /completion\.production-stable: thresholds: latency-p99 breach/,
      );
      const item = (await handle.query(checklistQuery))['completion.production-stable'];
      assert.equal(item?.status, 'failed');
      assert.equal(item?.evidence?.evaluations, 2, 'measured again before failing (2 breaches in a row)');
      await assertReplays([handle]);
    } finally {
      h.world.setMetric('lc_latency_p99_seconds', null, 'unstable-end');
    }
  });

  test('one missing value at completion is a blip, measured again, and the launch goes LIVE', async () => {
    const handle = await start('blip-end');
    const ofThisLaunch = (r: { query: string }) =>
      decodeURIComponent(r.query.replaceAll('+', ' ')).includes('service="blip-end"');
    void autopilot(handle, (p) => {
      if (p.signal !== 'postLaunchReview') return approveEverything(p);
      h.world.failNext('/api/v1/query', 1, 503, ofThisLaunch);
      return { name: p.signal, payload: goodReview(p.approvers[0]!, p, `${h.world.url}/docs/`) };
    });
    const result = await handle.result();
    assert.equal(result.phase, 'LIVE', JSON.stringify(result));
    const item = (await handle.query(checklistQuery))['completion.production-stable'];
    assert.equal(item?.status, 'passed');
    assert.equal(item?.evidence?.evaluations, 2, 'the inconclusive measurement was followed up');
    await assertReplays([handle]);
  });

  test('a breach at 10% aborts during the window and rolls back: traffic on stable, previous version, freeze lifted', async () => {
    h.world.badVersions.add('2.0.1-regressed');
    const handle = await start('breach', { version: '2.0.1-regressed' });
    const sent = await autopilot(handle);
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK');
    assert.equal(result.abort?.cause, 'threshold-breach');
    assert.match(result.abort?.detail ?? '', /at 10%: error-ratio/);
    // No metrics review was requested at 10%: the abort came inside the observation window.
    assert.deepEqual(
      sent.map((s) => s.name),
      ['goNoGo'],
    );
    assert.equal(h.world.getCanaryPercent('breach', 'production'), 0);
    assert.equal(h.world.getVersion('breach', 'production', 'canary'), '1.0.0');
    const checklist = await handle.query(checklistQuery);
    assert.equal(checklist['5.3.execution.traffic-10']?.status, 'failed');
    assert.ok(checklist['5.3.execution.dark-launch']?.status === 'passed');
    const status = await handle.query(statusQuery);
    assert.equal(status.trafficPercent, 0);
    assert.deepEqual(
      status.compensations.filter((c) => c.status === 'done').map((c) => c.step),
      ['send all traffic to stable', 'redeploy 1.0.0 to the canary slot', 'lift the config freeze'],
    );
    const audit = await handle.query(auditQuery);
    assert.ok(audit.some((e) => e.action === 'freeze-lifted'));
    const notices = h.world.notifications.map((n) => n.text).join('\n');
    assert.match(notices, /ABORTING breach 2\.0\.1-regressed: rolling back/);
    assert.match(notices, /threshold-breach/);
    await assertReplays([handle, h.env.client.workflow.getHandle('breach-launch/traffic')]);
  });

  test('a no-go ends ABORTED without touching production', async () => {
    const handle = await start('nogo');
    await autopilot(handle, (p) =>
      p.signal === 'goNoGo'
        ? { name: 'goNoGo', payload: { by: 'bob', decision: 'no-go', comment: 'CAB said no' } }
        : null,
    );
    const result = await handle.result();
    assert.equal(result.phase, 'ABORTED');
    assert.equal(result.abort?.cause, 'no-go');
    assert.equal(result.abort?.by, 'bob');
    const checklist = await handle.query(checklistQuery);
    assert.equal(checklist['5.1.verification.go-no-go']?.status, 'failed');
    assert.equal(
      h.world.getVersion('nogo', 'production', 'canary'),
      undefined,
      'nothing deployed to production',
    );
    assert.equal(h.world.deployments.filter((d) => d.service === 'nogo').length, 0);
  });

  test('an approval timeout fails safe: no go/no-go in time means ABORTED', async () => {
    const handle = await start('timeout', { approvals: { ...fastPlan().approvals, timeout: '2s' } });
    const result = await handle.result();
    assert.equal(result.phase, 'ABORTED');
    assert.equal(result.abort?.cause, 'approval-timeout');
    const checklist = await handle.query(checklistQuery);
    assert.equal(checklist['5.1.verification.go-no-go']?.status, 'failed');
  });

  test('unauthorized and malformed signals are refused and audited, with no failed workflow task', async () => {
    const handle = await start('refusals');
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    await handle.signal('goNoGo', { by: 'mallory', decision: 'go' });
    await handle.signal('goNoGo', { by: 123, decision: 'maybe' });
    await handle.signal('goNoGo', 'not even an object');
    await handle.signal('metricsReview', { by: 'alice', stage: 10, verdict: 'proceed' });
    await handle.signal('launchNow', { by: 'alice' });
    await handle.signal('abort', { by: 'mallory', reason: 'just because' });
    const audit = await eventually(
      () => handle.query(auditQuery),
      (a) => a.filter((e) => e.outcome === 'refused').length >= 6,
      'six refusals',
    );
    const refusals = audit
      .filter((e) => e.outcome === 'refused')
      .map((e) => `${e.action} ${e.actor}: ${e.reason}`);
    assert.match(refusals[0]!, /^goNoGo mallory: mallory may not send goNoGo; allowed: alice, bob/);
    assert.match(refusals[1]!, /^goNoGo \(unknown\): malformed payload: by: .*decision: /);
    assert.match(refusals[2]!, /^goNoGo \(unknown\): malformed payload/);
    // A well-formed approval is checked against the running task's own state (an activity), so its
    // refusal can land after the ones decided at once.
    const rest = refusals.slice(3).sort();
    assert.match(rest[0]!, /^abort mallory: mallory may not abort/);
    assert.match(rest[1]!, /^launchNow \(unknown\): unknown signal "launchNow"/);
    assert.match(rest[2]!, /^metricsReview alice: no metricsReview is awaited now/);
    // The launch is still waiting for a real decision; then an authorised approver answers.
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'READINESS');
    await handle.signal('abort', { by: 'sre-sam', reason: 'test over' });
    const result = await handle.result();
    assert.equal(result.phase, 'ABORTED');
    assert.equal(result.abort?.cause, 'operator-abort');
    const history = await handle.fetchHistory();
    const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    assert.equal(failedTasks.length, 0, 'no workflow task failed');
  });

  test('an operator abort during the ramp rolls traffic back to stable', async () => {
    const handle = await start('opabort');
    void autopilot(handle, (p) => (p.signal === 'metricsReview' ? null : approveEverything(p)));
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.phase === 'TRAFFIC' && s.trafficPercent === 10,
      '10% traffic',
      90_000,
    );
    assert.equal(h.world.getCanaryPercent('opabort', 'production'), 10);
    await handle.signal('abort', { by: 'sre-sam', reason: 'customer complaints' });
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK');
    assert.deepEqual(
      { cause: result.abort?.cause, by: result.abort?.by },
      { cause: 'operator-abort', by: 'sre-sam' },
    );
    assert.equal(h.world.getCanaryPercent('opabort', 'production'), 0);
    assert.equal(h.world.getVersion('opabort', 'production', 'canary'), '1.0.0');
  });

  test('an abort after heightened monitoring continued as new rolls back within an interval (the cancel reaches the run in progress)', async () => {
    const plan = fastPlan({
      service: 'can-abort',
      launchId: 'can-abort-launch',
      monitoring: { window: '10m', interval: '1s', onCallSchedule: 'checkout-primary' },
    });
    const handle = await h.env.client.workflow.start(launch, {
      taskQueue: h.taskQueue,
      workflowId: plan.launchId!,
      args: [{ plan, monitoringEvaluationsPerRun: 3 }],
    });
    void autopilot(handle);
    const monitor = h.env.client.workflow.getHandle(`${plan.launchId}/monitoring`);
    const firstRun = await eventually(
      () => monitor.describe(),
      (d) => d.status.name === 'RUNNING',
      'monitoring started',
      90_000,
    );
    // Wait for a later run: the first one has closed (continued as new).
    await eventually(
      () => monitor.describe(),
      (d) => d.runId !== firstRun.runId,
      'monitoring continued as new',
      30_000,
    );
    assert.equal(h.world.getCanaryPercent('can-abort', 'production'), 100);
    const abortedAt = Date.now();
    await handle.signal('abort', { by: 'sre-sam', reason: 'pager storm' });
    const status = await eventually(
      () => handle.query(statusQuery),
      (s) => ['ROLLING_BACK', 'ROLLED_BACK'].includes(s.phase),
      'rollback started',
      10_000,
    );
    assert.ok(Date.now() - abortedAt < 5_000, `rollback began ${Date.now() - abortedAt} ms after the abort`);
    assert.notEqual(status.phase, 'MONITORING');
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result));
    assert.equal(result.abort?.cause, 'operator-abort');
    assert.equal(h.world.getCanaryPercent('can-abort', 'production'), 0);
  });

  test('the drill never deploys where the deployer runs production, whatever the plan calls its environments', async () => {
    // The plan names production "prod-eu-2" and staging "production": different names, so the
    // plan is valid; the deployer's server config says "production" is production.
    const handle = await start('drill-prod', {
      environments: { production: 'prod-eu-2', staging: 'production' },
    });
    void autopilot(handle);
    const result = await handle.result();
    assert.equal(result.phase, 'ABORTED', JSON.stringify(result));
    assert.match(result.abort?.detail ?? '', /may not deploy to production/);
    const item = (await handle.query(checklistQuery))['5.4.execution.bad-version-deployed'];
    assert.equal(item?.status, 'failed');
    assert.match(item?.reason ?? '', /rollback drill may not deploy to production/);
    assert.notEqual(
      h.world.getVersion('drill-prod', 'production', 'stable'),
      '3.0.0-bad',
      'production untouched',
    );
  });

  test('a plan started straight through Temporal is validated by the workflow and fails with the fields named', async () => {
    const bad = {
      ...fastPlan({ service: 'bad-plan', launchId: 'bad-plan-launch' }),
      ramp: [{ percent: 10, observationWindow: '1s' }],
    };
    const handle = await h.env.client.workflow.start(launch, {
      taskQueue: h.taskQueue,
      workflowId: 'bad-plan-launch',
      args: [{ plan: bad }],
    });
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) => {
      assert.match(err.cause?.message ?? '', /invalid launch plan: .*ramp\.0\.percent: the ramp starts at 0/);
      return true;
    });
  });
});
