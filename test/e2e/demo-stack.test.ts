/**
 * End to end on the real stack: Temporal dev server, worker, HAProxy (runtime API), Prometheus
 * scraping the demo service every second, a load generator sending real requests. The launches
 * share the one demo service, so they run one after another.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CATALOG } from '../../domain/checklist-catalog.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import type { PendingApproval } from '../../domain/launch-state.js';
import { startDemoEnvironment, type DemoEnvironmentHandle } from '../../scripts/demo/environment.js';
import { launch } from '../../workflows/launch.js';
import { checklistQuery, statusQuery } from '../../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../support/approver.js';
import { eventually, startHarness, type Harness } from '../support/temporal.js';

let demo: DemoEnvironmentHandle;
let h: Harness;
before(async () => {
  demo = await startDemoEnvironment({ log: () => undefined });
  h = await startHarness({ world: demo.world, integrationsConfig: demo.integrationsConfig });
});
after(async () => {
  await h?.stop();
  await demo?.stop();
});

const example = (name: string): LaunchPlanInput =>
  JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));

/** The README's example with windows short enough for a test (rates in the queries span 10 s). */
function e2ePlan(name: string, launchId: string): LaunchPlanInput {
  const plan = example(name);
  return {
    ...plan,
    launchId,
    approvals: { ...plan.approvals, timeout: '3m' },
    ramp: [
      { percent: 0, observationWindow: '4s', review: 'auto' },
      { percent: 10, observationWindow: '20s', review: 'manual' },
      { percent: 50, observationWindow: '10s', review: 'manual' },
      { percent: 100, observationWindow: '8s', review: 'auto' },
    ],
    analysis: { ...plan.analysis!, interval: '2s' },
    drill: { ...plan.drill, detectionTimeout: '60s', recoveryTimeout: '90s' },
    monitoring: { ...plan.monitoring, window: '8s', interval: '2s' },
  };
}

/** Puts production back to 1.0.0 with all traffic on stable, as before a launch. */
async function resetProduction() {
  for (const slot of ['stable', 'canary']) {
    const res = await fetch(`${demo.stack.urls.controller}/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'checkout', environment: 'production', slot, version: '1.0.0' }),
    });
    assert.ok(res.ok, `reset deploy ${slot}: ${res.status}`);
  }
}

const share = (version: string, windowMs = 4_000) =>
  demo.stack.loadgen.canaryShare('production', version, windowMs) * 100;

describe('on the demo stack', () => {
  test('quickstart: LIVE with all 60 items; at each stage the canary share measured through HAProxy is within 5 points', async () => {
    const plan = e2ePlan('quickstart.json', 'e2e-good');
    const handle = await h.env.client.workflow.start(launch, {
      taskQueue: h.taskQueue,
      workflowId: 'e2e-good',
      args: [{ plan }],
    });
    const measured: Record<number, number> = {};
    const docs = `${demo.world.url}/docs/`;
    const answer = (p: PendingApproval) => {
      if (p.signal === 'metricsReview') measured[p.stage!] = share('2.0.0');
      if (p.signal === 'onCallAck') measured[100] = share('2.0.0');
      if (p.signal === 'postLaunchReview')
        return { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) };
      return approveEverything(p);
    };
    const darkLaunch = eventually(
      () => handle.query(checklistQuery),
      (c) => c['5.3.execution.health-stable']?.status === 'passed',
      'dark launch done',
      180_000,
    ).then(() => (measured[0] = share('2.0.0', 3_000)));
    await autopilot(handle, answer);
    await darkLaunch;
    const result = await handle.result();
    const checklist = await handle.query(checklistQuery);
    const notPassed = CATALOG.filter((i) => checklist[i.id]?.status !== 'passed').map(
      (i) => `${i.id}: ${checklist[i.id]?.reason}`,
    );
    assert.deepEqual(notPassed, []);
    assert.equal(result.phase, 'LIVE');
    for (const stage of [0, 10, 50, 100]) {
      assert.ok(
        Math.abs(measured[stage]! - stage) <= 5,
        `at ${stage}% the canary served ${measured[stage]?.toFixed(1)}%`,
      );
    }
    // (c) The drill ran on staging: detected by the analysis, rolled back on its own, no write lost.
    const triggered = checklist['5.4.execution.rollback-triggered']!.evidence as {
      detectionMs: number;
      breach: string;
    };
    const recovered = checklist['5.4.execution.recovery-observed']!.evidence as { recoveryMs: number };
    const integrity = checklist['5.4.verification.no-data-loss']!.evidence as {
      after: { missing: number; acknowledgedWrites: number };
    };
    assert.ok(
      triggered.detectionMs > 0 && recovered.recoveryMs > 0,
      JSON.stringify({ triggered, recovered }),
    );
    assert.equal(integrity.after.missing, 0);
    assert.ok(integrity.after.acknowledgedWrites > 0, 'the load generator really wrote to staging');
    assert.equal(demo.stack.versionOf('staging', 'stable'), '1.0.0');
    // Promoted: 2.0.0 on the stable slot serves everything.
    assert.equal(demo.stack.versionOf('production', 'stable'), '2.0.0');
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(share('2.0.0', 2_000) > 99);
  });

  test('bad version: aborts at 10% inside the window, ends ROLLED_BACK, measured traffic returns to stable', async () => {
    await resetProduction();
    const plan = e2ePlan('bad-version.json', 'e2e-bad');
    const handle = await h.env.client.workflow.start(launch, {
      taskQueue: h.taskQueue,
      workflowId: 'e2e-bad',
      args: [{ plan }],
    });
    const sent = await autopilot(handle);
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result.abort));
    assert.equal(result.abort?.cause, 'threshold-breach');
    assert.match(result.abort?.detail ?? '', /^at 10%/);
    assert.ok(
      !sent.some((s) => s.name === 'metricsReview'),
      'aborted before the 10% review: inside the window',
    );
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(share('3.0.0-bad', 2_000), 0, 'no request reaches the bad version any more');
    assert.ok(share('1.0.0', 2_000) > 99);
    assert.equal(demo.stack.versionOf('production', 'canary'), '1.0.0');
  });

  test('Prometheus stopped mid-window: inconclusive results abort after the limit and the launch rolls back', async () => {
    await resetProduction();
    const plan = e2ePlan('quickstart.json', 'e2e-blind');
    const handle = await h.env.client.workflow.start(launch, {
      taskQueue: h.taskQueue,
      workflowId: 'e2e-blind',
      args: [{ plan }],
    });
    void autopilot(handle);
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.trafficPercent === 10,
      '10% traffic',
      240_000,
    );
    await demo.stack.stopPrometheus();
    const result = await handle.result();
    assert.equal(result.phase, 'ROLLED_BACK');
    assert.equal(result.abort?.cause, 'inconclusive-limit');
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(share('2.0.0', 2_000), 0);
  });
});
