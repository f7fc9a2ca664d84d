/**
 * A launch's verdict does not depend on its worker being there: slots the worker missed are
 * measured at their own times when it is back (the world answers `time=` queries from its past,
 * as Prometheus does), and judged as if on time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SlotRecord } from '../../domain/analysis.js';
import type { LaunchResult } from '../../workflows/launch.js';
import { checklistQuery } from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
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

const INTERVAL_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plan = fastPlan();
/** Long 100 % and monitoring windows, so an outage of several intervals falls inside them. */
const longWindows = {
  ramp: plan.ramp!.map((s) => (s.percent === 100 ? { ...s, observationWindow: '14s' } : s)),
  monitoring: { window: '14s', interval: '1s', onCallSchedule: 'checkout-primary' },
};

async function whenFullTraffic(service: string) {
  await eventually(
    async () => h.world.getCanaryPercent(service, 'production'),
    (p) => p === 100,
    `${service} at 100 %`,
    90_000,
  );
}

/**
 * At 100 %: one interval in, the error ratio goes bad for three intervals, then recovers.
 * With `outage`, the worker stops taking tasks just before it and is back two intervals after it
 * (a graceful shutdown waits for the local activities in flight, so it is started, not awaited).
 */
async function badPatchAtFullTraffic(service: string, outage: boolean) {
  await whenFullTraffic(service);
  await sleep(INTERVAL_MS);
  const stopped = outage ? h.stopWorker() : Promise.resolve();
  await sleep(200);
  h.world.setMetric('lc_error_ratio', 0.4, service);
  await sleep(3 * INTERVAL_MS);
  h.world.setMetric('lc_error_ratio', null, service);
  await stopped;
  await sleep(2 * INTERVAL_MS);
  if (outage) await h.startWorker();
}

async function runWithBadPatch(service: string, outage: boolean) {
  const handle = await startLaunch(h, service, longWindows);
  void autopilot(handle);
  await badPatchAtFullTraffic(service, outage);
  const result: LaunchResult = await handle.result();
  const checklist = await handle.query(checklistQuery);
  return { result, stage: checklist['5.3.execution.traffic-100'] };
}

test('a breach while the worker is down is judged when it is back: the same rollback as on time', async () => {
  const onTime = await runWithBadPatch('patch-on-time', false);
  const late = await runWithBadPatch('patch-worker-down', true);
  for (const { result, stage } of [onTime, late]) {
    assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify({ abort: result.abort, stage }));
    assert.equal(result.abort?.cause, 'threshold-breach');
    assert.match(result.abort?.detail ?? '', /at 100%: error-ratio: 0\.4 > max 0\.02 \(2 in a row\)/);
  }
  const slots = (late.stage?.evidence as { slots?: SlotRecord[] } | undefined)?.slots ?? [];
  const breaches = slots.filter((s) => s.verdict === 'breach');
  assert.equal(breaches.length, 2, JSON.stringify(slots));
  for (const slot of breaches) {
    assert.ok(slot.lateMs >= INTERVAL_MS, `slot ${slot.slot} judged late: ${JSON.stringify(slot)}`);
    assert.ok(Date.parse(slot.evaluatedAt) - Date.parse(slot.measuredAt) === slot.lateMs);
  }
  assert.equal(h.world.getCanaryPercent('patch-worker-down', 'production'), 0, 'traffic back on stable');
  await assertNoFailedWorkflowTasks(h, ['patch-on-time-launch', 'patch-worker-down-launch']);
});

test('a good build whose worker is down for three intervals of a stage and of monitoring goes LIVE', async () => {
  const service = 'good-worker-down';
  const handle = await startLaunch(h, service, longWindows);
  const docs = `${h.world.url}/docs/`;
  void autopilot(handle, (p) =>
    p.signal === 'postLaunchReview'
      ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
      : approveEverything(p),
  );
  await whenFullTraffic(service);
  await sleep(INTERVAL_MS);
  await h.stopWorker();
  await sleep(3 * INTERVAL_MS);
  await h.startWorker();
  await eventually(
    () => handle.query(checklistQuery),
    (c) => c['5.5.policy.window']?.status === 'passed',
    'monitoring started',
    90_000,
  );
  await sleep(2 * INTERVAL_MS);
  await h.stopWorker();
  await sleep(3 * INTERVAL_MS);
  await h.startWorker();
  const result = await handle.result();
  assert.equal(result.phase, 'LIVE', JSON.stringify(result.abort));
  const checklist = await handle.query(checklistQuery);
  const stage = checklist['5.3.execution.traffic-100'];
  const slots = (stage?.evidence as { slots: SlotRecord[] }).slots;
  assert.equal(slots.length, 14, 'every slot of the 14 s window judged');
  assert.ok(
    slots.filter((s) => s.lateMs >= INTERVAL_MS).length >= 2,
    `slots caught up after the outage: ${JSON.stringify(slots.map((s) => s.lateMs))}`,
  );
  const monitored = checklist['5.5.execution.errors'];
  const evidence = monitored?.evidence as {
    evaluated: number;
    intervals: number;
    lateness: { slots: number };
  };
  assert.equal(monitored?.status, 'passed');
  assert.equal(evidence.evaluated, evidence.intervals);
  assert.ok(evidence.lateness.slots >= 2, JSON.stringify(evidence.lateness));
  await assertNoFailedWorkflowTasks(h, [`${service}-launch`, `${service}-launch/monitoring`]);
});

test('a metrics backend failing as the worker comes back costs one slot per interval, not the whole catch-up', async () => {
  const service = 'backend-slow-to-return';
  const handle = await startLaunch(h, service, longWindows);
  const pilot = autopilot(handle);
  await whenFullTraffic(service);
  await h.stopWorker();
  await sleep(4 * INTERVAL_MS);
  // The first catch-up call: its first 8 queries (two slots of four thresholds) answer 503.
  h.world.failNext('/api/v1/query', 8, 503);
  await h.startWorker();
  await eventually(
    () => handle.query(checklistQuery),
    (c) => c['5.3.execution.traffic-100']?.status === 'passed',
    '100 % stage passed',
    90_000,
  );
  const slots = (
    (await handle.query(checklistQuery))['5.3.execution.traffic-100']?.evidence as { slots: SlotRecord[] }
  ).slots;
  assert.equal(slots.filter((s) => s.verdict === 'inconclusive').length, 1, JSON.stringify(slots));
  await handle.signal('abort', { by: 'sre-sam', reason: 'test done' });
  await handle.result();
  await pilot;
});
