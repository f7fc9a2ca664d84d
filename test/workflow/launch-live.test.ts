import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CATALOG } from '../../domain/checklist-catalog.js';
import { renderChecklistMarkdown } from '../../domain/checklist.js';
import { launch } from '../../workflows/launch.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { autopilot, approveEverything, goodReview } from '../support/approver.js';
import { fastPlan } from '../support/plans.js';
import { startHarness, workerMetricsUrl, type Harness } from '../support/temporal.js';
import { readFileSync } from 'node:fs';
import { assertReplays } from '../support/replay.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

test('a good version goes through all six tasks to LIVE with all 60 items passed and evidence on each', async () => {
  const plan = fastPlan({ launchId: 'checkout-live-1' });
  const handle = await h.env.client.workflow.start(launch, {
    taskQueue: h.taskQueue,
    workflowId: 'checkout-live-1',
    args: [{ plan }],
  });
  const docs = `${h.world.url}/docs/`;
  const sent = await autopilot(handle, (p) =>
    p.signal === 'postLaunchReview'
      ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
      : approveEverything(p),
  );
  const result = await handle.result();
  const checklist = await handle.query(checklistQuery);
  const notPassed = CATALOG.filter((i) => checklist[i.id]?.status !== 'passed').map(
    (i) => `${i.id}: ${checklist[i.id]?.status} ${checklist[i.id]?.reason ?? ''}`,
  );
  assert.deepEqual(notPassed, [], 'every item passed');
  assert.equal(result.phase, 'LIVE', JSON.stringify(result));
  for (const item of CATALOG) {
    const state = checklist[item.id]!;
    assert.ok(state.evidence && Object.keys(state.evidence).length > 0, `${item.id} has evidence`);
    assert.ok(state.verifiedAt && state.verifiedBy, `${item.id} has verifiedAt/By`);
  }
  assert.equal(checklist['5.1.verification.go-no-go']!.verifiedBy, 'alice');
  assert.deepEqual(
    sent.map((s) => s.name),
    ['goNoGo', 'metricsReview', 'metricsReview', 'onCallAck', 'postLaunchReview'],
  );

  const expected = readFileSync(new URL('../../docs/phase5-tasklist.md', import.meta.url), 'utf8').replaceAll(
    '- [ ]',
    '- [x]',
  );
  assert.equal(renderChecklistMarkdown(checklist), expected);

  // Production ends on the new version, promoted to stable, with all traffic there.
  assert.equal(h.world.getVersion('checkout', 'production', 'stable'), '2.0.0');
  assert.equal(h.world.getCanaryPercent('checkout', 'production'), 0);
  // The drill left staging on the previous version.
  assert.equal(h.world.getVersion('checkout', 'staging', 'stable'), '1.0.0');
  const status = await handle.query(statusQuery);
  assert.equal(status.phase, 'LIVE');
  const audit = await handle.query(auditQuery);
  assert.ok(
    audit.some((e) => e.action === 'configChangeRequest' && e.outcome === 'refused'),
    'lockdown probe refused and audited',
  );
  assert.ok(
    audit.every((e, i) => e.seq === i + 1),
    'audit sequence has no gaps',
  );

  // People were told: each approval with its exact payload and a link, each stage, and LIVE.
  const told = h.world.notifications.map((n) => n.text).join('\n');
  assert.match(told, /Approval needed: metricsReview at 10% for checkout 2\.0\.0/);
  assert.match(told, /"stage":10,"verdict":"proceed"/);
  assert.match(told, /Launch: http:\/\/temporal-ui\.test\/namespaces\/default\/workflows\/checkout-live-1/);
  for (const percent of [0, 10, 50, 100])
    assert.match(told, new RegExp(`checkout 2\\.0\\.0: ${percent}% of production traffic`));
  assert.match(told, /checkout 2\.0\.0: LIVE/);

  // Metrics: Launch Control's own counters next to the SDK's, on the worker's endpoint.
  const metrics = await (await fetch(workerMetricsUrl)).text();
  assert.match(metrics, /launch_control_launches_ended_total\{[^}]*phase="LIVE"[^}]*\} 1/);
  assert.match(metrics, /launch_control_approval_wait_bucket\{[^}]*signal="goNoGo"/);
  assert.match(metrics, /temporal_workflow_completed/);

  // Determinism: the parent and every child replay against the current code.
  const children = ['readiness', 'lockdown', 'rollback-drill', 'traffic', 'monitoring', 'review'];
  await assertReplays([
    handle,
    ...children.map((c) => h.env.client.workflow.getHandle(`checkout-live-1/${c}`)),
  ]);
});
