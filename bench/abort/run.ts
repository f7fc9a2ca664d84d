/**
 * Item 1: abort reaction on the demo stack (real HAProxy, real Prometheus scraping every second,
 * real load). Each trial launches the known-bad build; the analysis breaches at 10 % and the
 * launch rolls back. The bench polls HAProxy's runtime API (`get weight`) every few ms.
 *
 *   overhead    = canary weight 0 first read back from HAProxy
 *                 − the moment the measurement that decided the abort completed (its
 *                   ActivityTaskCompleted event in the traffic task's history)
 *   end to end  = canary weight 0 read back − the first request answered by the bad build
 *   baseline    = the HAProxy adapter's own "set canary 0 % + read back", called directly, and for
 *                 end to end the configured budget: interval × consecutiveBreaches + one scrape
 */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { runtimeApiCommand } from '../../integrations/haproxy/runtime-api.js';
import { parseWeightAnswer } from '../../integrations/haproxy/traffic-haproxy.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { startDemoEnvironment } from '../../scripts/demo/environment.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { localActivityOf } from '../../test/support/local-activities.js';
import { startNotificationApprover } from '../lib/approver.js';
import { ensureRuntime } from '../lib/runtime.js';
import { BENCH_DATA_DIR, eventTypeName, startBenchTemporal } from '../lib/temporal.js';
import { Cleanup, progress, sleep, summarize, type Summary } from '../lib/util.js';
import examplePlan from '../../examples/bad-version.json' with { type: 'json' };

const INTERVAL_MS = 1_000;
const CONSECUTIVE_BREACHES = 2;
const SCRAPE_MS = 1_000;
const POLL_MS = 10;
const BACKEND = 'checkout-production';
const BAD = '3.0.0-bad';

export type AbortTrial = {
  launchId: string;
  phase: string;
  cause: string | null;
  decidedAt: number;
  firstBadAt: number | null;
  weight10At: number | null;
  weight0At: number | null;
  overheadMs: number | null;
  endToEndMs: number | null;
  /** First bad answer → the deciding measurement completed (the analysis itself: scrape, rate window, breaches). */
  detectionMs: number | null;
  /** Where the overhead goes (ms), from the histories. */
  breakdown: Record<string, number>;
  directSetMs: number;
};

export type AbortResult = {
  trials: AbortTrial[];
  overheadMs: Summary;
  baselineOverheadMs: Summary;
  endToEndMs: Summary;
  detectionMs: Summary;
  configuredBudgetMs: number;
  breakdownP50Ms: Record<string, number>;
  pollIntervalMs: number;
};

function plan(launchId: string): LaunchPlanInput {
  const p = examplePlan as unknown as LaunchPlanInput;
  return {
    ...p,
    launchId,
    approvals: { ...p.approvals, timeout: '5m' },
    ramp: [
      { percent: 0, observationWindow: '2s', review: 'auto' },
      { percent: 10, observationWindow: '30s', review: 'manual' },
      { percent: 50, observationWindow: '10s', review: 'manual' },
      { percent: 100, observationWindow: '8s', review: 'auto' },
    ],
    analysis: { ...p.analysis!, interval: `${INTERVAL_MS}ms`, consecutiveBreaches: CONSECUTIVE_BREACHES },
    drill: { ...p.drill, detectionTimeout: '60s', recoveryTimeout: '90s' },
    monitoring: { ...p.monitoring, window: '8s', interval: '2s' },
  };
}

const ms = (t?: { seconds?: unknown; nanos?: number | null } | null) =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** Timestamps from the histories: the deciding measurement, the task's failure, the parent's undo. */
async function timeline(client: Client, launchId: string) {
  const child = (await client.workflow.getHandle(`${launchId}/traffic`).fetchHistory()).events ?? [];
  const scheduledType = new Map<string, string>();
  let decidedAt = 0;
  let childFailedAt = 0;
  for (const e of child) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) scheduledType.set(String(e.eventId), a.activityType?.name ?? '');
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduledType.get(String(done.scheduledEventId)) === 'runMetricQueries')
      decidedAt = ms(e.eventTime);
    // Measurements run as local activities: the marker says when the query completed in the worker.
    const local = localActivityOf(e);
    if (local?.type === 'measureSlots') decidedAt = local.completedAt;
    if (e.workflowExecutionFailedEventAttributes) childFailedAt = ms(e.eventTime);
  }
  const parent = (await client.workflow.getHandle(launchId).fetchHistory()).events ?? [];
  const parentTypes = new Map<string, string>();
  let parentSawFailureAt = 0;
  let notifyScheduledAt = 0;
  let undoScheduledAt = 0;
  let undoStartedAt = 0;
  let undoCompletedAt = 0;
  let undoId = '';
  for (const e of parent) {
    const type = eventTypeName(e);
    if (type === 'ChildWorkflowExecutionFailed' && !parentSawFailureAt) parentSawFailureAt = ms(e.eventTime);
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      parentTypes.set(String(e.eventId), a.activityType?.name ?? '');
      if (parentSawFailureAt && a.activityType?.name === 'notify' && !notifyScheduledAt)
        notifyScheduledAt = ms(e.eventTime);
      if (parentSawFailureAt && a.activityType?.name === 'setTraffic' && !undoId) {
        undoId = String(e.eventId);
        undoScheduledAt = ms(e.eventTime);
      }
    }
    if (
      e.activityTaskStartedEventAttributes &&
      String(e.activityTaskStartedEventAttributes.scheduledEventId) === undoId
    )
      undoStartedAt = ms(e.eventTime);
    if (
      e.activityTaskCompletedEventAttributes &&
      String(e.activityTaskCompletedEventAttributes.scheduledEventId) === undoId
    )
      undoCompletedAt = ms(e.eventTime);
  }
  return {
    decidedAt,
    childFailedAt,
    parentSawFailureAt,
    notifyScheduledAt,
    undoScheduledAt,
    undoStartedAt,
    undoCompletedAt,
  };
}

export async function runAbort(opts: { trials: number }, cleanup: Cleanup): Promise<AbortResult> {
  ensureRuntime();
  progress('abort: starting the demo stack (HAProxy, Prometheus, demo service, load)…');
  const demo = await startDemoEnvironment({ dataDir: join(BENCH_DATA_DIR, 'demo'), log: () => undefined });
  cleanup.add('demo stack', () => demo.stop());
  const temporal = await startBenchTemporal('abort');
  cleanup.add('temporal (abort)', () => temporal.stop());
  const taskQueue = `bench-abort-${randomUUID().slice(0, 8)}`;
  const worker = await createLaunchWorker({
    connection: await temporal.nativeConnection(),
    client: temporal.client,
    namespace: 'default',
    taskQueue,
    integrations: createIntegrationRegistry(demo.integrationsConfig),
  });
  const running = worker.run();
  cleanup.add('worker (abort)', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
  });
  const approver = startNotificationApprover(demo.world, temporal.client, {
    docsBase: `${demo.world.url}/docs/`,
  });
  cleanup.add('approver', () => approver.stop());
  const endpoint = { socket: demo.stack.haproxySocket };
  const router = createIntegrationRegistry(demo.integrationsConfig).get('traffic', 'default');
  const target = { service: 'checkout', environment: 'production' };

  const resetProduction = async () => {
    for (const slot of ['stable', 'canary']) {
      const res = await fetch(`${demo.stack.urls.controller}/deploy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'checkout', environment: 'production', slot, version: '1.0.0' }),
      });
      if (!res.ok) throw new Error(`reset deploy ${slot}: ${res.status}`);
    }
    await router.setCanaryPercent(target, 0);
  };

  const trials: AbortTrial[] = [];
  for (let i = 0; i < opts.trials; i++) {
    await resetProduction();
    // Baseline: the adapter's own set + read back, straight from here (10 → 0), as the undo does it.
    await router.setCanaryPercent(target, 10);
    const directStart = performance.now();
    await router.setCanaryPercent(target, 0);
    await router.readCanaryPercent(target);
    const directSetMs = performance.now() - directStart;

    const launchId = `abort-${i}-${randomUUID().slice(0, 6)}`;
    const trialStart = Date.now();
    const handle = await temporal.client.workflow.start('launch', {
      taskQueue,
      workflowId: launchId,
      args: [{ plan: plan(launchId) }],
    });
    let weight10At: number | null = null;
    let weight0At: number | null = null;
    let firstBadAt: number | null = null;
    let closed = false;
    const result = handle.result().finally(() => (closed = true));
    const seenBad = () => (demo.stack.loadgen.stats('production', 2_000).byVersion[BAD] ?? 0) > 0;
    // Poll HAProxy's weight (and the load generator's answers) until the canary is back at 0.
    while (!closed || (weight10At !== null && weight0At === null)) {
      const answer = await runtimeApiCommand(endpoint, `get weight ${BACKEND}/canary`).catch(() => '');
      const now = Date.now();
      const weight = parseWeightAnswer(answer)?.weight;
      if (weight !== undefined && weight >= 10 && weight10At === null) weight10At = now;
      if (weight10At !== null && firstBadAt === null && seenBad()) firstBadAt = now;
      if (weight10At !== null && weight === 0 && weight0At === null) weight0At = now;
      if (weight0At !== null) break;
      if (Date.now() - trialStart > 300_000) break;
      await sleep(POLL_MS);
    }
    const outcome = (await result) as { phase: string; abort: { cause: string } | null };
    const t = await timeline(temporal.client, launchId);
    const trial: AbortTrial = {
      launchId,
      phase: outcome.phase,
      cause: outcome.abort?.cause ?? null,
      decidedAt: t.decidedAt,
      firstBadAt,
      weight10At,
      weight0At,
      overheadMs: weight0At !== null && t.decidedAt ? weight0At - t.decidedAt : null,
      endToEndMs: weight0At !== null && firstBadAt !== null ? weight0At - firstBadAt : null,
      detectionMs: firstBadAt !== null && t.decidedAt ? t.decidedAt - firstBadAt : null,
      breakdown: {
        'decision → task failed': t.childFailedAt - t.decidedAt,
        'task failed → launch sees it': t.parentSawFailureAt - t.childFailedAt,
        'launch sees it → undo scheduled': t.undoScheduledAt - t.parentSawFailureAt,
        'undo scheduled → started': t.undoStartedAt - t.undoScheduledAt,
        'undo started → completed': t.undoCompletedAt - t.undoStartedAt,
        'completed → weight 0 read by the bench':
          weight0At !== null ? weight0At - t.undoCompletedAt : Number.NaN,
        ...(t.notifyScheduledAt
          ? {
              'abort announcement (notify) scheduled after failure':
                t.notifyScheduledAt - t.parentSawFailureAt,
            }
          : {}),
      },
      directSetMs,
    };
    trials.push(trial);
    progress(
      `abort: trial ${i + 1}/${opts.trials}: ${trial.phase} (${trial.cause}) in ${((Date.now() - trialStart) / 1000).toFixed(0)} s; overhead ${trial.overheadMs} ms, end to end ${trial.endToEndMs} ms (detection ${trial.detectionMs} ms), direct set ${directSetMs.toFixed(0)} ms`,
    );
    if (trial.phase !== 'ROLLED_BACK')
      throw new Error(`trial ${launchId} ended ${trial.phase}, expected ROLLED_BACK`);
  }
  const valid = trials.filter((t) => t.overheadMs !== null);
  const keys = Object.keys(trials[0]?.breakdown ?? {});
  const breakdownP50Ms = Object.fromEntries(
    keys.map((k) => [
      k,
      summarize(trials.map((t) => t.breakdown[k] ?? Number.NaN).filter(Number.isFinite)).p50,
    ]),
  );
  return {
    trials,
    overheadMs: summarize(valid.map((t) => t.overheadMs!)),
    baselineOverheadMs: summarize(trials.map((t) => t.directSetMs)),
    endToEndMs: summarize(trials.filter((t) => t.endToEndMs !== null).map((t) => t.endToEndMs!)),
    detectionMs: summarize(trials.filter((t) => t.detectionMs !== null).map((t) => t.detectionMs!)),
    configuredBudgetMs: INTERVAL_MS * CONSECUTIVE_BREACHES + SCRAPE_MS,
    breakdownP50Ms,
    pollIntervalMs: POLL_MS,
  };
}
