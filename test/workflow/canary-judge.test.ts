/**
 * The canary judge in a launch (sandbox world: each slot's series by its `slot` label, history by
 * `time=`): canary and stable compared at every slot of a stage that splits traffic. Its
 * statistics are tested against R in test/unit/mann-whitney.test.ts; the real stack's in test/e2e.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SlotRecord } from '../../domain/analysis.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { checklistQuery } from '../../workflows/messages.js';
import { autopilot } from '../support/approver.js';
import { fastPlan } from '../support/plans.js';
import { assertNoFailedWorkflowTasks, startHarness, startLaunch, type Harness } from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const plan = fastPlan();
const judged: Partial<LaunchPlanInput> = {
  ramp: plan.ramp!.map((s) => (s.percent === 10 ? { ...s, observationWindow: '4s' } : s)),
  analysis: {
    ...plan.analysis,
    canaryJudge: {
      step: '1s',
      lookback: '6s',
      metrics: [
        {
          name: 'latency',
          query:
            'lc_latency_p99_seconds{service="{{service}}",environment="{{environment}}",slot="{{slot}}"}',
          direction: 'increase',
          allowedEffect: 0.05,
        },
        {
          name: 'errors',
          query: 'lc_error_ratio{service="{{service}}",environment="{{environment}}",slot="{{slot}}"}',
          direction: 'increase',
        },
      ],
    },
  },
};

test('the judge fails a canary worse than stable that every fixed threshold passes, at the first split stage', async () => {
  // p99 0.08 s → 0.12 s and errors 0.1 % → 1 %: inside every fixed threshold (0.5 s, 2 %).
  h.world.versionProfiles.set('2.0.9-worse', { lc_latency_p99_seconds: 0.12, lc_error_ratio: 0.01 });
  const handle = await startLaunch(h, 'judged-worse', { ...judged, version: '2.0.9-worse' });
  const pilot = autopilot(handle);
  const result = await handle.result();
  await pilot;
  assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result.abort));
  assert.equal(result.abort?.cause, 'threshold-breach');
  assert.match(
    result.abort?.detail ?? '',
    /^at 10%: canary-judge: fail: latency high: \+\d+(\.\d)? %.*errors high: \+\d+ %.*score 0 < marginal 75 \(2 in a row\)$/,
  );
  const stage = (await handle.query(checklistQuery))['5.3.execution.traffic-10'];
  assert.equal(stage?.status, 'failed');
  const slots = (stage?.evidence as { slots: SlotRecord[] }).slots;
  // The first slots' lookback still holds samples from before the canary's deploy: not yet enough to tell.
  assert.deepEqual(
    slots.slice(-2).map((s) => s.verdict),
    ['breach', 'breach'],
    JSON.stringify(slots),
  );
  assert.equal(h.world.getCanaryPercent('judged-worse', 'production'), 0);
  await assertNoFailedWorkflowTasks(h, ['judged-worse-launch', 'judged-worse-launch/traffic']);
});

test('a canary like stable passes the judge at 10 % and 50 %; at 100 % only the thresholds judge', async () => {
  const handle = await startLaunch(h, 'judged-good', judged);
  const pilot = autopilot(handle);
  let checklist = await handle.query(checklistQuery);
  while (checklist['5.5.policy.window']?.status !== 'passed') {
    await new Promise((r) => setTimeout(r, 300));
    checklist = await handle.query(checklistQuery);
  }
  await handle.signal('abort', { by: 'sre-sam', reason: 'test done' });
  await handle.result();
  await pilot;
  checklist = await handle.query(checklistQuery);
  for (const id of ['5.3.execution.traffic-10', '5.3.execution.traffic-50', '5.3.execution.traffic-100'])
    assert.equal(checklist[id]?.status, 'passed', id);
  const totals = (id: string) =>
    (checklist[id]?.evidence as { totals: Record<string, { pass: number; breach: number }> }).totals;
  assert.ok((totals('5.3.execution.traffic-10')['canary-judge']?.pass ?? 0) >= 4);
  assert.ok((totals('5.3.execution.traffic-50')['canary-judge']?.pass ?? 0) >= 2);
  assert.equal(totals('5.3.execution.traffic-100')['canary-judge'], undefined, 'nothing to compare at 100 %');
});
