/**
 * Item 3: history size of a launch whose heightened monitoring lasts 24 h at a 30 s interval
 * (2,880 evaluations). Temporal's dev server fires timers no sooner than about one second
 * (measured: a 50 ms timer fires after ~1 s), so a run cannot be compressed below one evaluation
 * per second, and 2,880 evaluations would take 48 minutes. The bench therefore measures the parts
 * and adds them up:
 *
 *   - one whole launch, analysis every 1 s, the monitoring window `evaluations` seconds (one run);
 *   - beside it, the monitoring task alone with continue-as-new every few evaluations, so the
 *     cost of a continued run and of one evaluation are fitted from several real runs;
 *   - a 24 h monitoring at 30 s = 2,880 evaluations = 8 runs of ≤ 400 (EVALUATIONS_PER_RUN), each
 *     with its measured fixed cost + 400 × the measured cost of an evaluation + the analysis
 *     reports a real day sends (every 5 min of workflow time, which a short run never reaches).
 *
 * `--history-evaluations 2880 --history-interval 30s`-style real runs are possible (hours); see
 * docs/performance.md. Baseline, same run: a bare loop of the same evaluations (one no-op activity
 * + one timer each), and what 2,880 of them would weigh in one run without continue-as-new.
 */
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { startWorld } from '../../scripts/sandbox/world.js';
import { fastPlan } from '../../test/support/plans.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { EVALUATIONS_PER_RUN } from '../../workflows/monitoring.js';
import { ANALYSIS_REPORT_EVERY_MS } from '../../workflows/task-runtime.js';
import { startNotificationApprover } from '../lib/approver.js';
import { ensureRuntime } from '../lib/runtime.js';
import { historiesOf, startBenchTemporal } from '../lib/temporal.js';
import { Cleanup, progress, sleep } from '../lib/util.js';

const TASKS = ['readiness', 'lockdown', 'rollback-drill', 'traffic', 'monitoring', 'review'];
const PRODUCTION_INTERVAL_MS = 30_000;
/**
 * Sub-second timers fire after about a second on the dev server, so a grid of 1 s drifts and can
 * miss a slot on a busy machine (the launch then fails "monitored at every interval"); 2 s leaves room.
 */
const MONITORING_INTERVAL_S = 2;

export type HistoryResult = {
  monitoringEvaluationsTarget: number;
  measuredLaunch: {
    launchId: string;
    evaluations: number;
    workflows: { workflowId: string; eventsPerRun: number[] }[];
    total: number;
  };
  continuedRuns: { evaluationsPerRun: number; runs: { evaluations: number; events: number }[] };
  fit: {
    eventsPerEvaluation: number;
    continuedRunFixedEvents: number;
    firstRunFixedEvents: number;
    eventsPerAnalysisReport: number;
  };
  day: { runs: number[]; monitoringEvents: number; parentReportEvents: number };
  maxEventsPerRun: number;
  baselineEventsPerRun: number;
  bareEventsPerEvaluation: number;
  bareLoopEvents: number;
  eventsPerLaunch: number;
  wallSeconds: number;
};

function plan(service: string, monitoringEvaluations: number): LaunchPlanInput {
  return fastPlan({
    service,
    launchId: service,
    approvals: {
      goNoGo: ['alice'],
      rollbackAuthority: ['sre-sam'],
      freezeOverride: ['cab-carol'],
      metricsReview: ['alice'],
      timeout: '30m',
    },
    ramp: [
      { percent: 0, observationWindow: '3s', review: 'auto' },
      { percent: 10, observationWindow: '5s', review: 'manual' },
      { percent: 50, observationWindow: '5s', review: 'manual' },
      { percent: 100, observationWindow: '5s', review: 'auto' },
    ],
    drill: {
      badVersion: '3.0.0-bad',
      detectionTimeout: '60s',
      recoveryEvaluations: 2,
      recoveryTimeout: '60s',
    },
    monitoring: {
      window: `${monitoringEvaluations * MONITORING_INTERVAL_S}s`,
      interval: `${MONITORING_INTERVAL_S}s`,
      onCallSchedule: 'checkout-primary',
    },
    review: { trackerProject: 'acme/checkout', timeout: '30m' },
  });
}

/** Least squares events = fixed + perEvaluation × evaluations. */
function fitLine(points: { x: number; y: number }[]) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const slope = sxx > 0 ? points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx : Number.NaN;
  return { slope, intercept: my - slope * mx };
}

async function waitLogging<T>(what: string, promise: Promise<T>, started: number): Promise<T> {
  let done = false;
  const result = promise.finally(() => (done = true));
  while (!done) {
    await Promise.race([result.catch(() => undefined), sleep(15_000)]);
    if (!done) progress(`history: ${what} running for ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return result;
}

export async function runHistory(opts: { evaluations: number }, cleanup: Cleanup): Promise<HistoryResult> {
  ensureRuntime();
  const world = await startWorld();
  cleanup.add('world (history)', () => world.close());
  world.badVersions.add('3.0.0-bad');
  const temporal = await startBenchTemporal('history');
  cleanup.add('temporal (history)', () => temporal.stop());
  const taskQueue = `bench-history-${randomUUID().slice(0, 8)}`;
  const connection = await temporal.nativeConnection();
  const worker = await createLaunchWorker({
    connection,
    client: temporal.client,
    namespace: 'default',
    taskQueue,
    integrations: createIntegrationRegistry(world.integrationsConfig()),
  });
  const bare = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: `${taskQueue}-bare`,
    workflowsPath: fileURLToPath(new URL('../concurrent/baseline-workflows.ts', import.meta.url)),
    activities: { noop: async () => Date.now() },
  });
  const runs = [worker.run(), bare.run()];
  cleanup.add('workers (history)', async () => {
    for (const w of [worker, bare]) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
  });
  const approver = startNotificationApprover(world, temporal.client, { docsBase: `${world.url}/docs/` });
  cleanup.add('approver', () => approver.stop());

  const measuredEvaluations = 40;
  const chainEvaluations = 24;
  const chainPerRun = 8;
  progress(
    `history: a whole launch (analysis every 1 s, ${measuredEvaluations} monitoring evaluations every ${MONITORING_INTERVAL_S} s), beside it the monitoring task alone with continue-as-new every ${chainPerRun} evaluations, and a bare loop…`,
  );
  const started = Date.now();
  const launchId = `history-${randomUUID().slice(0, 6)}`;
  const chainId = `history-chain-${randomUUID().slice(0, 6)}`;
  const launchHandle = await temporal.client.workflow.start('launch', {
    taskQueue,
    workflowId: launchId,
    args: [{ plan: plan(launchId, measuredEvaluations) }],
  });
  // Standalone: the workflow id is the launch id the task announces, so the approver's onCallAck reaches it.
  const chainHandle = await temporal.client.workflow.start('monitoring', {
    taskQueue,
    workflowId: chainId,
    args: [
      {
        plan: fastPlan({ ...plan(chainId, chainEvaluations), launchId: chainId }),
        launchId: chainId,
        evaluationsPerRun: chainPerRun,
      },
    ],
  });
  const bareEvaluations = measuredEvaluations;
  const bareHandle = await temporal.client.workflow.start('baselineLaunch', {
    taskQueue: `${taskQueue}-bare`,
    workflowId: `${launchId}-bare`,
    args: [
      Array.from({ length: bareEvaluations }, () => [
        { a: 1 as const },
        { t: MONITORING_INTERVAL_S * 1_000 },
      ]).flat(),
    ],
  });
  // The chain's own verdict does not matter here (only its histories); the launch must go LIVE.
  const [outcome, chainOutcome] = await waitLogging(
    'launch + monitoring chain + bare loop',
    Promise.all([
      launchHandle.result(),
      chainHandle.result().then(
        () => 'completed',
        (error: unknown) =>
          `failed: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
      ),
      bareHandle.result(),
    ]),
    started,
  );
  if (chainOutcome !== 'completed')
    progress(`history: (the monitoring chain's own verdict: ${chainOutcome})`);
  const wallSeconds = (Date.now() - started) / 1000;
  const launchOutcome = outcome as { phase: string; abort: unknown };
  if (launchOutcome.phase !== 'LIVE')
    throw new Error(`history launch ended ${launchOutcome.phase}: ${JSON.stringify(launchOutcome.abort)}`);

  const workflows: { workflowId: string; eventsPerRun: number[] }[] = [];
  for (const id of [launchId, ...TASKS.map((t) => `${launchId}/${t}`)]) {
    workflows.push({
      workflowId: id,
      eventsPerRun: (await historiesOf(temporal.client, id)).map((r) => r.events),
    });
  }
  const measuredTotal = workflows.reduce((a, w) => a + w.eventsPerRun.reduce((x, y) => x + y, 0), 0);
  const monitoringEvents = workflows.find((w) => w.workflowId.endsWith('/monitoring'))!.eventsPerRun[0]!;
  const launchMonitoring = (await temporal.client.workflow.getHandle(`${launchId}/monitoring`).result()) as {
    evaluations: number;
  };

  // The chain: evaluations per run are activity completions of runMetricQueries in each run.
  const chain = await historiesOf(temporal.client, chainId);
  const chainRuns = chain.map((r) => ({ evaluations: r.types.ActivityTaskCompleted ?? 0, events: r.events }));
  // Continued runs (all but the first) have the same fixed cost; the last one closes the task.
  const continued = chainRuns.slice(1, -1).length >= 1 ? chainRuns.slice(1) : chainRuns;
  const line = fitLine(continued.map((r) => ({ x: r.evaluations, y: r.events })));
  const perEvaluation = Number.isFinite(line.slope)
    ? line.slope
    : continued[0]!.events / continued[0]!.evaluations;
  const continuedFixed = Number.isFinite(line.slope) ? line.intercept : 0;
  const firstFixed = monitoringEvents - perEvaluation * launchMonitoring.evaluations;
  const bareEvents = (await bareHandle.fetchHistory()).events?.length ?? 0;
  const bareEventsPerEvaluation = bareEvents / bareEvaluations;

  // A real day: 2,880 evaluations in runs of ≤ 400, analysis reports every 5 min of workflow time.
  const evaluationsPerReport = ANALYSIS_REPORT_EVERY_MS / PRODUCTION_INTERVAL_MS;
  /** In the task: signal initiated + external signalled + the workflow task (3) that follows. */
  const eventsPerReport = 5;
  const dayRuns: number[] = [];
  for (let left = opts.evaluations, k = 0; left > 0; k++) {
    const n = Math.min(EVALUATIONS_PER_RUN, left);
    dayRuns.push(
      Math.round(
        (k === 0 ? firstFixed : continuedFixed) +
          n * perEvaluation +
          Math.floor(n / evaluationsPerReport) * eventsPerReport,
      ),
    );
    left -= n;
  }
  const dayMonitoring = dayRuns.reduce((a, b) => a + b, 0);
  /** In the launch: each report is a signal (1) and a workflow task (3). */
  const parentReportEvents = Math.floor(opts.evaluations / evaluationsPerReport) * 4;
  const launchRun = workflows[0]!.eventsPerRun[0]! + parentReportEvents;
  const eventsPerLaunch = measuredTotal - monitoringEvents + dayMonitoring + parentReportEvents;
  const maxEventsPerRun = Math.max(...workflows.flatMap((w) => w.eventsPerRun), ...dayRuns, launchRun);
  progress(
    `history: measured launch ${measuredTotal} events (monitoring ${monitoringEvents} for ${launchMonitoring.evaluations} evaluations); chain runs ${chainRuns.map((r) => `${r.evaluations}→${r.events}`).join(', ')}; ${perEvaluation.toFixed(1)} events per evaluation; a 24 h day: runs ${dayRuns.join(', ')}`,
  );
  return {
    monitoringEvaluationsTarget: opts.evaluations,
    measuredLaunch: { launchId, evaluations: launchMonitoring.evaluations, workflows, total: measuredTotal },
    continuedRuns: { evaluationsPerRun: chainPerRun, runs: chainRuns },
    fit: {
      eventsPerEvaluation: perEvaluation,
      continuedRunFixedEvents: continuedFixed,
      firstRunFixedEvents: firstFixed,
      eventsPerAnalysisReport: eventsPerReport,
    },
    day: { runs: dayRuns, monitoringEvents: dayMonitoring, parentReportEvents },
    maxEventsPerRun,
    baselineEventsPerRun: Math.round(bareEventsPerEvaluation * EVALUATIONS_PER_RUN),
    bareEventsPerEvaluation,
    bareLoopEvents: Math.round(bareEventsPerEvaluation * opts.evaluations),
    eventsPerLaunch,
    wallSeconds,
  };
}
