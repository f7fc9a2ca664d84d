/**
 * The canary judge on the real demo stack: real requests through HAProxy at 50 %, real
 * Prometheus series per slot, measured by the analysis' own activity and judged by the README
 * example's judge. A 10 % slower build passes every fixed threshold and fails the judge.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createActivities } from '../../activities/index.js';
import { checkPlan, type LaunchPlan } from '../../domain/plan.js';
import { judgeSlot, slotQueries } from '../../domain/slot-analysis.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { startDemoStack, type DemoStack } from '../../scripts/demo/stack.js';

/** The judge of docs/analysis.md on the demo's series (samples 5 s apart: one per rate window). */
const DEMO_JUDGE = {
  step: '5s',
  lookback: '30s',
  metrics: [
    {
      name: 'latency-mean',
      query:
        'sum(rate(demo_request_duration_seconds_sum{service="{{service}}",environment="{{environment}}",slot="{{slot}}"}[5s])) / sum(rate(demo_request_duration_seconds_count{service="{{service}}",environment="{{environment}}",slot="{{slot}}"}[5s]))',
      direction: 'increase',
      allowedEffect: 0.05,
    },
    {
      name: 'error-ratio',
      query:
        '(sum(rate(demo_requests_total{service="{{service}}",environment="{{environment}}",slot="{{slot}}",code=~"5.."}[5s])) or vector(0)) / sum(rate(demo_requests_total{service="{{service}}",environment="{{environment}}",slot="{{slot}}"}[5s]))',
      direction: 'increase',
      critical: true,
    },
  ],
  confidence: 0.99,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stack: DemoStack;
let plan: LaunchPlan;
before(async () => {
  stack = await startDemoStack({ log: () => undefined });
  const example = JSON.parse(
    readFileSync(new URL('../../examples/quickstart.json', import.meta.url), 'utf8'),
  );
  const checked = checkPlan({
    ...example,
    analysis: { ...example.analysis, canaryJudge: DEMO_JUDGE },
    launchWindow: { start: new Date().toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() },
    freezeWindow: {
      start: new Date(Date.now() - 60_000).toISOString(),
      end: new Date(Date.now() + 7_200_000).toISOString(),
    },
  });
  assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
  plan = checked.plan;
});
after(async () => {
  await stack?.stop();
});

/** The canary on `version` with half the production traffic, judged over three slots once the lookback is full of it. */
async function judgeAtHalfTraffic(version: string) {
  const registry = createIntegrationRegistry(stack.integrationsConfig());
  const activities = createActivities({ integrations: registry });
  const target = { service: 'checkout', environment: 'production' };
  await registry.get('deployer', 'default').deploy({ ...target, slot: 'canary' }, version);
  await registry.get('traffic', 'default').setCanaryPercent(target, 50);
  await sleep(38_000); // the judge's 30 s lookback plus the 5 s rate window, then some
  const now = Date.now();
  const options = { judgeCanary: true };
  const samples = await activities.measureSlots({
    integration: 'default',
    queries: slotQueries(plan.analysis, { ...target, version }, options),
    slots: [now - 4_000, now - 2_000, now].map((atMs) => ({ atMs })),
  });
  await registry.get('traffic', 'default').setCanaryPercent(target, 0);
  return samples.map((s) => {
    const results = judgeSlot(plan.analysis, s, options);
    return {
      judge: results.find((r) => r.category === 'canary')!,
      thresholds: results.filter((r) => r.category !== 'canary'),
    };
  });
}

test('2.0.0 passes the judge, 3.0.0-bad fails it, and 10 % slower fails only the judge', async () => {
  const good = await judgeAtHalfTraffic('2.0.0');
  const bad = await judgeAtHalfTraffic('3.0.0-bad');
  const slow = await judgeAtHalfTraffic('2.1.0-slow');
  const show = (slots: typeof good) =>
    slots.map((s) => `${s.judge.verdict} ${s.judge.value} ${s.judge.reason ?? ''}`).join('\n');
  console.log(
    `[judge] 2.0.0:\n${show(good)}\n[judge] 3.0.0-bad:\n${show(bad)}\n[judge] 2.1.0-slow:\n${show(slow)}`,
  );

  for (const slot of good) assert.equal(slot.judge.verdict, 'pass', show(good));
  for (const slot of bad) {
    assert.equal(slot.judge.verdict, 'breach', show(bad));
    assert.match(slot.judge.reason ?? '', /critical: error-ratio high/);
  }
  for (const slot of slow) {
    assert.equal(slot.judge.verdict, 'breach', show(slow));
    assert.match(slot.judge.reason ?? '', /latency-mean high: \+\d/);
    // Every fixed threshold (p99 ≤ 200 ms, errors ≤ 2 %, …) and the burn-rate rule pass it.
    assert.deepEqual(
      slot.thresholds.filter((t) => t.verdict !== 'pass').map((t) => `${t.name}: ${t.reason}`),
      [],
    );
  }
});
