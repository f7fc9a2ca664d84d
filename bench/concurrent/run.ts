/**
 * Item 2: many launches in flight on one worker and one dev server, the integrations answered by
 * the sandbox world (an in-process HTTP server here, in the bench process). Then, on a fresh dev
 * server, the baseline: bare workflows doing the same timers and activities (from a reference
 * launch's history), as many, on a bare worker. Cost = CPU seconds of worker + Temporal server.
 */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { spawnManaged, stopManaged, type ManagedProcess } from '../../scripts/demo/processes.js';
import { startWorld, type World } from '../../scripts/sandbox/world.js';
import { fastPlan } from '../../test/support/plans.js';
import type { BaselineStep } from './baseline-workflows.js';
import { localActivityOf } from '../../test/support/local-activities.js';
import { startNotificationApprover } from '../lib/approver.js';
import { BENCH_DATA_DIR, startBenchTemporal, type BenchTemporal } from '../lib/temporal.js';
import { Cleanup, cpuSeconds, memoryMiB, progress, sleep, summarize, type Summary } from '../lib/util.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const BAD_VERSION = '9.9.9-bad';
/**
 * Stages whose advance is timed: the next stage's traffic change seen by the router, minus the
 * window. (The 0 % stage is left out: its health probes end one interval before its window.)
 */
const TIMED_STAGES = [10, 50];
const NEXT_STAGE: Record<number, number> = { 0: 10, 10: 50, 50: 100 };

export type ConcurrentOptions = {
  launches: number;
  /** Share of launches deploying a bad build, which must end ROLLED_BACK. */
  badShare: number;
  /** Longest the whole batch may take before the bench gives up on stragglers. */
  deadlineMs: number;
  startConcurrency: number;
  /**
   * Observation window of every ramp stage, in seconds (analysis every half window, monitoring
   * three intervals). Short windows measure a few launches quickly; 1,000 in flight at once on
   * 2 cores need windows long enough that their work is spread out (`--window-seconds 120`).
   */
  windowSeconds: number;
};

type Batch = {
  launches: number;
  completed: number;
  /** Finished in another end state than expected (the first 20 are listed in `wrongEndState`). */
  wrongCount: number;
  wrongEndState: string[];
  notFinished: number;
  wallSeconds: number;
  cpuSeconds: { worker: number; server: number; total: number };
  workerPeakRssMiB: number;
  workerRssAtStartMiB: number;
  launchesPerMinute: number;
  /** Most workflows (launches, or bare baseline workflows) running at the same moment. */
  peakInFlight: number;
  lateness: Summary;
};

export type ConcurrentResult = {
  options: ConcurrentOptions;
  reference: {
    launchSeconds: number;
    workflowExecutions: number;
    events: number;
    activities: number;
    timers: number;
    timersCancelled: number;
    workflowTasks: number;
    signals: number;
  };
  engine: Batch;
  baseline: Batch;
  worldRequestsPerSecond: number;
  benchProcessCpuSeconds: number;
};

function plan(service: string, version: string, windowSeconds: number): LaunchPlanInput {
  const window = `${windowSeconds}s`;
  const interval = `${Math.max(2, Math.round(windowSeconds / 2))}s`;
  const monitoringInterval = `${Math.max(5, Math.round(windowSeconds / 2))}s`;
  return fastPlan({
    service,
    version,
    launchId: service,
    approvals: {
      goNoGo: ['alice'],
      rollbackAuthority: ['sre-sam'],
      freezeOverride: ['cab-carol'],
      metricsReview: ['alice'],
      // Under load nothing may time out for want of an approver: the bench measures the engine.
      timeout: '30m',
    },
    // Every window a whole number of seconds (sub-second timers fire after ~1 s on the dev server);
    // analysis every 2 s, so one late evaluation under load is not a missed slot.
    ramp: [0, 10, 50, 100].map((percent) => ({
      percent,
      observationWindow: window,
      review: 'auto' as const,
    })),
    analysis: { ...fastPlan().analysis!, interval },
    // Monitoring fails a launch for any interval not evaluated; 5 s or more (production: 30 s)
    // leaves room for a saturated worker without hiding lateness, which is measured on its own.
    monitoring: {
      window: `${3 * Number.parseInt(monitoringInterval, 10)}s`,
      interval: monitoringInterval,
      onCallSchedule: 'checkout-primary',
    },
    drill: { badVersion: '3.0.0-bad', detectionTimeout: '5m', recoveryEvaluations: 2, recoveryTimeout: '5m' },
    review: { trackerProject: 'acme/checkout', timeout: '30m' },
  });
}

export async function spawnWorker(
  mode: 'launch' | 'baseline',
  temporal: BenchTemporal,
  taskQueue: string,
  world: World | null,
  cleanup: Cleanup,
): Promise<ManagedProcess> {
  const worker = spawnManaged({
    name: `worker-${mode}`,
    command: process.execPath,
    // e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the worker.
    args: [
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      WORKER_SCRIPT,
    ],
    logFile: join(BENCH_DATA_DIR, 'logs', `worker-${mode}.log`),
    ipc: true,
    env: {
      ...process.env,
      BENCH_WORKER_MODE: mode,
      BENCH_TEMPORAL_ADDRESS: temporal.address,
      BENCH_TASK_QUEUE: taskQueue,
      ...(world ? { BENCH_INTEGRATIONS: JSON.stringify(world.integrationsConfig()) } : {}),
    },
  });
  cleanup.add(`worker ${mode}`, async () => {
    if (worker.isRunning()) worker.child.send?.({ stop: true });
    await Promise.race([worker.exited, sleep(10_000)]);
    await stopManaged(worker, 2_000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} worker not ready after 300 s`)), 300_000);
    worker.child.on('message', (message: { ready?: boolean }) => {
      if (message?.ready) {
        clearTimeout(timer);
        resolve();
      }
    });
    void worker.exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${mode} worker exited (${how}); see .data/bench/logs/worker-${mode}.log`));
    });
  });
  return worker;
}

/** Starts `count` workflows `concurrency` at a time; returns their result promises. */
async function startAll(
  count: number,
  concurrency: number,
  start: (i: number) => Promise<{ result: () => Promise<unknown> }>,
): Promise<Promise<{ ok: boolean; value: unknown }>[]> {
  const results: Promise<{ ok: boolean; value: unknown }>[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const handle = await start(i);
        results[i] = handle.result().then(
          (value) => ({ ok: true, value }),
          (error: unknown) => ({ ok: false, value: (error as Error).message }),
        );
      }
    }),
  );
  return results;
}

/** Waits for the results while sampling CPU and memory; progress every 10 s. */
async function watchBatch(
  label: string,
  results: Promise<{ ok: boolean; value: unknown }>[],
  pids: { worker: number; server: number },
  startedAt: number,
  cpuAtStart: { worker: number; server: number },
  deadlineMs: number,
) {
  let done = 0;
  let lastDoneAt = startedAt;
  const settled: ({ ok: boolean; value: unknown } | undefined)[] = new Array(results.length);
  results.forEach(
    (p, i) =>
      void p.then((r) => {
        settled[i] = r;
        done += 1;
        lastDoneAt = Date.now();
      }),
  );
  let peak = memoryMiB(pids.worker).rss;
  let peakInFlight = 0;
  let lastReport = Date.now();
  while (done < results.length && Date.now() - startedAt < deadlineMs) {
    await sleep(500);
    peak = Math.max(peak, memoryMiB(pids.worker).rss);
    peakInFlight = Math.max(peakInFlight, results.length - done);
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      progress(
        `${label}: ${done}/${results.length} done after ${((Date.now() - startedAt) / 1000).toFixed(0)} s; worker RSS ${memoryMiB(pids.worker).rss.toFixed(0)} MiB, CPU worker ${(cpuSeconds(pids.worker) - cpuAtStart.worker).toFixed(0)} s, server ${(cpuSeconds(pids.server) - cpuAtStart.server).toFixed(0)} s`,
      );
    }
  }
  const endedAt = done === results.length ? lastDoneAt : Date.now();
  const cpu = {
    worker: cpuSeconds(pids.worker) - cpuAtStart.worker,
    server: cpuSeconds(pids.server) - cpuAtStart.server,
    total: 0,
  };
  cpu.total = cpu.worker + cpu.server;
  return { settled, done, endedAt, cpu, peak, peakInFlight };
}

/** The timer/activity sequence of one launch, for the baseline, and its counts. */
async function referenceOf(client: Client, launchId: string) {
  const ids = [
    launchId,
    ...['readiness', 'lockdown', 'rollback-drill', 'traffic', 'monitoring', 'review'].map(
      (t) => `${launchId}/${t}`,
    ),
  ];
  const timeline: { at: number; step: BaselineStep }[] = [];
  const counts = {
    workflowExecutions: 0,
    events: 0,
    activities: 0,
    timers: 0,
    timersCancelled: 0,
    workflowTasks: 0,
    signals: 0,
  };
  for (const id of ids) {
    let runId: string | undefined;
    for (;;) {
      const handle = client.workflow.getHandle(id, runId);
      let history;
      try {
        history = await handle.fetchHistory();
      } catch {
        break; // a task that never ran (e.g. after an abort)
      }
      counts.workflowExecutions += 1;
      const events = history.events ?? [];
      counts.events += events.length;
      const timers = new Map<string, { at: number; ms: number }>();
      for (const event of events) {
        const at =
          Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        // A local activity (a measurement) counts as an activity: the baseline runs it as a plain one.
        if (event.activityTaskScheduledEventAttributes || localActivityOf(event)) {
          counts.activities += 1;
          timeline.push({ at, step: { a: 1 } });
        } else if (event.timerStartedEventAttributes) {
          const a = event.timerStartedEventAttributes;
          const d = a.startToFireTimeout;
          const ms = Number(d?.seconds ?? 0) * 1000 + Math.floor((d?.nanos ?? 0) / 1e6);
          timers.set(a.timerId ?? '', { at, ms });
          counts.timers += 1;
        } else if (event.timerFiredEventAttributes) {
          const t = timers.get(event.timerFiredEventAttributes.timerId ?? '');
          if (t) timeline.push({ at: t.at, step: { t: t.ms } });
        } else if (event.timerCanceledEventAttributes) {
          const t = timers.get(event.timerCanceledEventAttributes.timerId ?? '');
          counts.timersCancelled += 1;
          if (t) timeline.push({ at: t.at, step: { c: t.ms } });
        } else if (event.workflowTaskCompletedEventAttributes) counts.workflowTasks += 1;
        else if (event.workflowExecutionSignaledEventAttributes) counts.signals += 1;
      }
      const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      if (!previous) break;
      runId = previous;
    }
  }
  timeline.sort((x, y) => x.at - y.at);
  return { steps: timeline.map((t) => t.step), counts };
}

/** From the launch's start to its close, as Temporal recorded them. */
async function launchDurationSeconds(client: Client, workflowId: string): Promise<number> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const closed = description.closeTime ?? new Date();
  return (closed.getTime() - description.startTime.getTime()) / 1000;
}

export async function runConcurrent(opts: ConcurrentOptions, cleanup: Cleanup): Promise<ConcurrentResult> {
  const benchCpuAtStart = process.cpuUsage();
  // ---------- Launch Control ----------
  const world = await startWorld();
  cleanup.add('world', () => world.close());
  world.badVersions.add('3.0.0-bad');
  world.badVersions.add(BAD_VERSION);
  let worldRequests = 0;
  const stageSetAt = new Map<string, Map<number, number>>();
  const setCanary = world.setCanaryPercent.bind(world);
  world.setCanaryPercent = (service, environment, percent) => {
    if (environment === 'production') {
      const stages = stageSetAt.get(service) ?? new Map<number, number>();
      if (!stages.has(percent)) stages.set(percent, Date.now());
      stageSetAt.set(service, stages);
    }
    setCanary(service, environment, percent);
  };
  // Count every request the world answers (the approver empties `requests`).
  const push = world.requests.push.bind(world.requests);
  world.requests.push = (...items) => {
    worldRequests += items.length;
    return push(...items);
  };

  const temporal = await startBenchTemporal('concurrent');
  cleanup.add('temporal (concurrent)', () => temporal.stop());
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  progress('concurrent: starting the Launch Control worker (bundles the workflows)…');
  const worker = await spawnWorker('launch', temporal, taskQueue, world, cleanup);
  const approver = startNotificationApprover(world, temporal.client, { docsBase: `${world.url}/docs/` });
  cleanup.add('approver', () => approver.stop());

  // Warm-up (bundle loaded, JIT warm, caches filled) with short windows: a launch of long windows
  // alone would take as long as the whole batch.
  progress('concurrent: one warm-up launch alone…');
  const warmUp = await temporal.client.workflow.start('launch', {
    taskQueue,
    workflowId: 'bench-warmup',
    args: [{ plan: plan('bench-warmup', '2.0.0', 4) }],
  });
  const warmUpResult = (await warmUp.result()) as { phase: string };
  if (warmUpResult.phase !== 'LIVE') throw new Error(`warm-up launch ended ${warmUpResult.phase}`);

  const badEvery = opts.badShare > 0 ? Math.round(1 / opts.badShare) : 0;
  const isBad = (i: number) => badEvery > 0 && i % badEvery === badEvery - 1;
  progress(
    `concurrent: starting ${opts.launches} launches (${opts.launches && badEvery ? Math.floor(opts.launches / badEvery) : 0} of a bad build)…`,
  );
  const pids = { worker: worker.child.pid!, server: temporal.pid };
  const cpuAtStart = { worker: cpuSeconds(pids.worker), server: cpuSeconds(pids.server) };
  const rssAtStart = memoryMiB(pids.worker).rss;
  worldRequests = 0;
  const startedAt = Date.now();
  const results = await startAll(opts.launches, opts.startConcurrency, (i) =>
    temporal.client.workflow.start('launch', {
      taskQueue,
      workflowId: `bench-${i}`,
      args: [{ plan: plan(`bench-${i}`, isBad(i) ? BAD_VERSION : '2.0.0', opts.windowSeconds) }],
    }),
  );
  progress(`concurrent: all ${opts.launches} started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  const watched = await watchBatch('launches', results, pids, startedAt, cpuAtStart, opts.deadlineMs);
  const wallSeconds = (watched.endedAt - startedAt) / 1000;
  const worldRequestsPerSecond = worldRequests / Math.max(1, wallSeconds);
  approver.stop();
  const wrong: string[] = [];
  watched.settled.forEach((r, i) => {
    if (!r) return;
    const want = isBad(i) ? 'ROLLED_BACK' : 'LIVE';
    const value = r.value as { phase?: string; abort?: { cause?: string; detail?: string } };
    const phase = r.ok ? value.phase : `failed: ${String(r.value)}`;
    if (phase !== want)
      wrong.push(
        `bench-${i}: ${phase} (expected ${want})${r.ok && value.abort ? `: ${value.abort.cause}: ${value.abort.detail}` : ''}`,
      );
  });
  const lateness: number[] = [];
  for (let i = 0; i < opts.launches; i++) {
    const stages = stageSetAt.get(`bench-${i}`);
    if (!stages || isBad(i)) continue;
    TIMED_STAGES.forEach((percent) => {
      const at = stages.get(percent);
      const nextPercent = NEXT_STAGE[percent]!;
      const next = stages.get(nextPercent);
      if (at !== undefined && next !== undefined) lateness.push(next - at - opts.windowSeconds * 1000);
    });
  }
  const engine: Batch = {
    launches: opts.launches,
    completed: watched.done,
    wrongCount: wrong.length,
    wrongEndState: wrong.slice(0, 20),
    notFinished: opts.launches - watched.done,
    wallSeconds,
    cpuSeconds: watched.cpu,
    workerPeakRssMiB: watched.peak,
    workerRssAtStartMiB: rssAtStart,
    launchesPerMinute: (watched.done / Math.max(0.001, wallSeconds)) * 60,
    peakInFlight: watched.peakInFlight,
    lateness: summarize(lateness),
  };
  progress(
    `concurrent: launches done: ${watched.done}/${opts.launches} in ${wallSeconds.toFixed(0)} s (at most ${watched.peakInFlight} in flight), ${wrong.length} wrong end state(s), CPU ${watched.cpu.total.toFixed(0)} s, peak RSS ${watched.peak.toFixed(0)} MiB, approver errors ${approver.errors().length}`,
  );
  for (const line of wrong.slice(0, 5)) progress(`  ${line}`);
  for (const line of approver.errors().slice(0, 5)) progress(`  approver: ${line}`);
  // The reference: the batch's first launch (a good build), whose history gives the baseline its
  // sequence of activities and timers.
  const referenceResult = watched.settled[0];
  const referencePhase = (referenceResult?.value as { phase?: string } | undefined)?.phase;
  if (!referenceResult?.ok || referencePhase !== 'LIVE')
    throw new Error(`reference launch bench-0 ended ${referencePhase ?? String(referenceResult?.value)}`);
  const reference = await referenceOf(temporal.client, 'bench-0');
  const launchSeconds = await launchDurationSeconds(temporal.client, 'bench-0');
  progress(
    `concurrent: reference launch bench-0 LIVE in ${launchSeconds.toFixed(1)} s: ${reference.counts.workflowExecutions} workflow runs, ${reference.counts.events} events, ${reference.counts.activities} activities, ${reference.counts.timers} timers (${reference.counts.timersCancelled} cancelled), ${reference.counts.workflowTasks} workflow tasks`,
  );
  await cleanup.runAll();

  // ---------- Baseline ----------
  const baseTemporal = await startBenchTemporal('baseline');
  cleanup.add('temporal (baseline)', () => baseTemporal.stop());
  progress('concurrent: starting the baseline worker…');
  const baseWorker = await spawnWorker('baseline', baseTemporal, taskQueue, null, cleanup);
  // Warm-up, as the reference launch was for the engine.
  await (
    await baseTemporal.client.workflow.start('baselineLaunch', {
      taskQueue,
      workflowId: 'base-warmup',
      args: [reference.steps],
    })
  ).result();
  progress(
    `concurrent: starting ${opts.launches} baseline workflows (${reference.steps.length} steps each)…`,
  );
  const basePids = { worker: baseWorker.child.pid!, server: baseTemporal.pid };
  const baseCpuAtStart = { worker: cpuSeconds(basePids.worker), server: cpuSeconds(basePids.server) };
  const baseRssAtStart = memoryMiB(basePids.worker).rss;
  const baseStartedAt = Date.now();
  const baseResults = await startAll(opts.launches, opts.startConcurrency, (i) =>
    baseTemporal.client.workflow.start('baselineLaunch', {
      taskQueue,
      workflowId: `base-${i}`,
      args: [reference.steps],
    }),
  );
  const baseWatched = await watchBatch(
    'baseline',
    baseResults,
    basePids,
    baseStartedAt,
    baseCpuAtStart,
    opts.deadlineMs,
  );
  const baseWall = (baseWatched.endedAt - baseStartedAt) / 1000;
  const baseLateness = baseWatched.settled.flatMap((r) =>
    r?.ok ? (r.value as { lateness: number[] }).lateness : [],
  );
  const baseFailed = baseWatched.settled.filter((r) => r && !r.ok).length;
  const baseline: Batch = {
    launches: opts.launches,
    completed: baseWatched.settled.filter((r) => r?.ok).length,
    wrongCount: baseFailed,
    wrongEndState: baseWatched.settled
      .flatMap((r, i) => (r && !r.ok ? [`base-${i}: ${String(r.value)}`] : []))
      .slice(0, 20),
    notFinished: opts.launches - baseWatched.done,
    wallSeconds: baseWall,
    cpuSeconds: baseWatched.cpu,
    workerPeakRssMiB: baseWatched.peak,
    workerRssAtStartMiB: baseRssAtStart,
    launchesPerMinute: (baseWatched.done / Math.max(0.001, baseWall)) * 60,
    peakInFlight: baseWatched.peakInFlight,
    lateness: summarize(baseLateness),
  };
  progress(
    `concurrent: baseline done: ${baseWatched.done}/${opts.launches} in ${baseWall.toFixed(0)} s, CPU ${baseWatched.cpu.total.toFixed(0)} s, peak RSS ${baseWatched.peak.toFixed(0)} MiB`,
  );
  await cleanup.runAll();
  const benchCpu = process.cpuUsage(benchCpuAtStart);
  return {
    options: opts,
    reference: { launchSeconds, ...reference.counts },
    engine,
    baseline,
    worldRequestsPerSecond,
    benchProcessCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
  };
}
