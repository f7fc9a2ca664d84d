/**
 * `npm run bench`: the performance figures of issue #7, each beside a baseline measured in the
 * same run. Prints a table and writes bench/results/latest.json (and a timestamped copy).
 *
 *   npm run bench                              # everything, default sizes (≈ 20 min on 2 cores)
 *   npm run bench -- --only concurrent --launches 1000 --deadline-minutes 45   # the issue's 1,000
 *   npm run bench -- --only api,history        # some sections
 *   npm run bench -- --launches 50 --trials 3  # smaller
 *   BENCH_SCALE=0.1 npm run bench              # every size scaled down
 *
 * Exits non-zero only when a run fails; missed targets are reported, not failed.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAbort, type AbortResult } from './abort/run.js';
import { runApi, type ApiResult } from './api/run.js';
import { runConcurrent, type ConcurrentResult } from './concurrent/run.js';
import { runHistory, type HistoryResult } from './history/run.js';
import { PROJECT_ROOT } from './lib/temporal.js';
import { EVALUATIONS_PER_RUN } from '../workflows/monitoring.js';
import { Cleanup, figure, progress, type Figure } from './lib/util.js';

const SECTIONS = ['abort', 'concurrent', 'history', 'api'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    trials: { type: 'string' },
    launches: { type: 'string' },
    'api-duration': { type: 'string' },
    'history-evaluations': { type: 'string' },
    'deadline-minutes': { type: 'string' },
    'window-seconds': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const scale = Number(process.env.BENCH_SCALE ?? '1');
const sized = (flag: string | undefined, full: number, min = 1) =>
  flag !== undefined ? Number(flag) : Math.max(min, Math.round(full * scale));
const only = new Set<Section>(
  values.only ? (values.only.split(',').map((s) => s.trim()) as Section[]) : [...SECTIONS],
);
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; one of ${SECTIONS.join(', ')}`);

// A call still retrying when its section's server was stopped (e.g. a result() long poll of a
// section that failed) must not take the bench down with it.
process.on('uncaughtException', (error) => {
  if (/Channel has been shut down|Connection closed/.test(error.message)) return;
  progress(`uncaught: ${error.stack ?? error.message}`);
  void cleanup.runAll().finally(() => process.exit(1));
});
process.on('unhandledRejection', (reason) => {
  progress(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
});

const RESULTS_DIR = join(PROJECT_ROOT, 'bench', 'results');
const cleanup = new Cleanup();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: cleaning up…`);
    void cleanup.runAll().finally(() => process.exit(130));
  });
}

type Results = {
  abort?: AbortResult;
  concurrent?: ConcurrentResult;
  history?: HistoryResult;
  api?: ApiResult;
};

async function main() {
  const results: Results = {};
  const failures: string[] = [];
  const started = new Date();
  const run = async <K extends keyof Results>(name: K, fn: () => Promise<Results[K]>) => {
    if (!only.has(name as Section)) return;
    progress(`=== ${name} ===`);
    try {
      results[name] = await fn();
    } catch (error) {
      const causes: string[] = [];
      for (let e: unknown = error; e instanceof Error; e = e.cause) causes.push(e.message);
      failures.push(`${name}: ${causes.join(' ← ')}\n${(error as Error).stack ?? ''}`);
      progress(`${name} FAILED: ${causes.join(' ← ')}`);
    } finally {
      await cleanup.runAll();
    }
  };
  await run('abort', () => runAbort({ trials: sized(values.trials, 20, 2) }, cleanup));
  await run('concurrent', () =>
    runConcurrent(
      {
        // 1,000 launches need ~25–45 min of 2 cores (≈ 2.5 CPU s each, plus the baseline): too long
        // for the default run; `--launches 1000 --deadline-minutes 45` runs the issue's size.
        launches: sized(values.launches, 100, 5),
        badShare: 0.1,
        deadlineMs: Number(values['deadline-minutes'] ?? 8) * 60_000,
        startConcurrency: 50,
        windowSeconds: Number(values['window-seconds'] ?? 4),
      },
      cleanup,
    ),
  );
  await run('history', () =>
    runHistory({ evaluations: sized(values['history-evaluations'], 2_880, 100) }, cleanup),
  );
  await run('api', () => runApi({ durationSeconds: sized(values['api-duration'], 10, 3) }, cleanup));

  const figures = figuresOf(results);
  const document = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: readLoad(),
    },
    scale,
    sections: [...only],
    ...figures,
    failures,
    details: results,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  // latest.json holds the figures of the sections run; earlier figures of sections not run are kept.
  const latestPath = join(RESULTS_DIR, 'latest.json');
  const previous = existsSync(latestPath) && only.size < SECTIONS.length ? safeJson(latestPath) : null;
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), text);
  writeFileSync(
    latestPath,
    previous ? `${JSON.stringify(mergeLatest(previous, document), null, 2)}\n` : text,
  );
  printTable(figures);
  progress(`results: bench/results/latest.json and bench/results/${stamp}.json`);
  if (failures.length > 0) {
    for (const failure of failures) console.error(`FAILED ${failure}`);
    process.exitCode = 1;
  }
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

function safeJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function mergeLatest(previous: Record<string, unknown>, current: Record<string, unknown>) {
  const merged: Record<string, unknown> = { ...previous, ...current };
  for (const key of FIGURE_KEYS)
    if (current[key] === undefined && previous[key] !== undefined) merged[key] = previous[key];
  merged.details = { ...(previous.details as object), ...(current.details as object) };
  merged.sections = [
    ...new Set([...((previous.sections as string[]) ?? []), ...((current.sections as string[]) ?? [])]),
  ];
  return merged;
}

const FIGURE_KEYS = [
  'abortOverheadP95Ms',
  'abortEndToEndP95Ms',
  'concurrentLaunches',
  'timerLatenessP99Ms',
  'engineCostRatio',
  'workerPeakRssMiB',
  'launchesPerMinute',
  'maxHistoryEventsPerRun',
  'historyEventsPerLaunch',
  'apiP99Ms',
  'apiRatio',
] as const;
type Figures = Partial<Record<(typeof FIGURE_KEYS)[number], Figure>>;

function figuresOf(r: Results): Figures {
  const f: Figures = {};
  if (r.abort) {
    const a = r.abort;
    f.abortOverheadP95Ms = figure(
      a.overheadMs.p95,
      a.baselineOverheadMs.p95,
      'ms',
      { text: 'p95 ≤ 500 ms', ok: (v) => v <= 500 },
      `${a.overheadMs.n} trials; baseline: the same "set weight 0 + read back" through the HAProxy adapter, called directly`,
    );
    f.abortEndToEndP95Ms = figure(
      a.endToEndMs.p95,
      a.configuredBudgetMs,
      'ms',
      {
        text: '≤ interval × consecutiveBreaches + scrape interval + 500 ms overhead',
        ok: (v) => v <= a.configuredBudgetMs + 500,
      },
      `baseline = interval × consecutiveBreaches + one scrape interval = ${a.configuredBudgetMs} ms; of the end to end, detection (first bad answer → deciding measurement) p50 ${a.detectionMs?.p50} ms, p95 ${a.detectionMs?.p95} ms`,
    );
  }
  if (r.concurrent) {
    const c = r.concurrent;
    const allRight = c.engine.completed === c.options.launches && c.engine.wrongCount === 0;
    f.concurrentLaunches = figure(
      c.engine.completed - c.engine.wrongCount,
      c.baseline.completed,
      'launches in the right end state',
      { text: `all ${c.options.launches}`, ok: () => allRight },
      `${c.options.launches} started, at most ${c.engine.peakInFlight} in flight at once, stage windows of ${c.options.windowSeconds} s (${Math.round(c.options.badShare * 100)} % bad builds → ROLLED_BACK, the rest → LIVE); baseline: bare workflows completed`,
    );
    f.timerLatenessP99Ms = figure(
      c.engine.lateness.p99,
      c.baseline.lateness.p99,
      'ms',
      { text: 'p99 ≤ 1000 ms', ok: (v) => v <= 1000 },
      'stage advance seen by the router after its window; baseline: first activity after a bare timer',
    );
    const unfinished =
      c.engine.notFinished > 0
        ? `${c.engine.notFinished} of ${c.options.launches} launches had not finished at the deadline: the CPU covers only part of their work, so the ratio understates the cost`
        : undefined;
    f.engineCostRatio = figure(
      c.engine.cpuSeconds.total,
      c.baseline.cpuSeconds.total,
      'CPU s (worker + Temporal server)',
      { text: 'ratio ≤ 1.5', ok: (_v, ratio) => !unfinished && ratio !== null && ratio <= 1.5 },
      unfinished ??
        `${(c.engine.cpuSeconds.total / Math.max(1, c.engine.completed)).toFixed(2)} CPU s per launch, ${(c.baseline.cpuSeconds.total / Math.max(1, c.baseline.completed)).toFixed(2)} per bare workflow`,
    );
    f.workerPeakRssMiB = figure(c.engine.workerPeakRssMiB, c.baseline.workerPeakRssMiB, 'MiB', null);
    f.launchesPerMinute = figure(
      c.engine.launchesPerMinute,
      c.baseline.launchesPerMinute,
      'per minute',
      null,
    );
  }
  if (r.history) {
    const h = r.history;
    f.maxHistoryEventsPerRun = figure(
      h.maxEventsPerRun,
      h.baselineEventsPerRun,
      'events',
      { text: '≤ 10,000 per run', ok: (v) => v <= 10_000 },
      `24 h at 30 s = ${h.monitoringEvaluationsTarget} evaluations in ${h.day.runs.length} monitoring runs of ${h.day.runs.join(', ')} events, from measured parts (${h.fit.eventsPerEvaluation.toFixed(1)} events per evaluation); baseline: a bare activity + timer loop doing one run's ${EVALUATIONS_PER_RUN} evaluations (${h.bareLoopEvents} events if all ${h.monitoringEvaluationsTarget} were in one run)`,
    );
    f.historyEventsPerLaunch = figure(
      h.eventsPerLaunch,
      null,
      'events (all runs, launch and tasks)',
      null,
      `measured launch ${h.measuredLaunch.total} events with ${h.measuredLaunch.evaluations} monitoring evaluations; with a 24 h monitoring: monitoring ${h.day.monitoringEvents} + analysis reports to the launch ${h.day.parentReportEvents}`,
    );
  }
  if (r.api) {
    const a = r.api;
    const worst = (x: { status: { p99: number }; list: { p99: number } }) =>
      Math.max(x.status.p99, x.list.p99);
    const fr = a.fixedRate;
    const ratioOf = (api: number, direct: number) => (direct > 0 ? api / direct : Number.NaN);
    const statusRatio = ratioOf(fr.status.p99, fr.statusDirect.p99);
    const listRatio = ratioOf(fr.list.p99, fr.listDirect.p99);
    f.apiP99Ms = figure(
      worst(fr),
      Math.max(fr.statusDirect.p99, fr.listDirect.p99),
      'ms',
      { text: 'p99 ≤ 50 ms at 200 rps', ok: (v) => v <= 50 },
      `at ${200} rps: GET /launches/:id p99 ${fr.status.p99} ms (client ${fr.statusDirect.p99} ms), GET /launches p99 ${fr.list.p99} ms (client ${fr.listDirect.p99} ms); saturation: /launches/:id ${a.saturation.status.rps.toFixed(0)} rps (client ${a.saturation.statusDirect.rps.toFixed(0)}), /launches ${a.saturation.list.rps.toFixed(0)} rps (client ${a.saturation.listDirect.rps.toFixed(0)})`,
    );
    const ratio = Math.max(statusRatio, listRatio);
    f.apiRatio = {
      ...figure(ratio, 1, '× direct client (p99 at 200 rps, worse route)', {
        text: 'ratio ≤ 1.3',
        ok: (v) => v <= 1.3,
      }),
      ratio: Number.isFinite(ratio) ? Math.round(ratio * 100) / 100 : null,
      note: `GET /launches/:id ${statusRatio.toFixed(2)}×, GET /launches ${listRatio.toFixed(2)}×`,
    };
  }
  return f;
}

function printTable(f: Figures) {
  const rows = Object.entries(f).map(([key, v]) => [
    key,
    v.value === null ? '—' : String(v.value),
    v.baseline === null ? '—' : String(v.baseline),
    v.ratio === null ? '—' : `${v.ratio}×`,
    v.unit,
    v.target ?? '',
    v.met === null ? '' : v.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'unit', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  const judged = Object.values(f).filter((v) => v.met !== null);
  const missed = Object.entries(f)
    .filter(([, v]) => v.met === false)
    .map(([k]) => k);
  console.log(
    `\nbench: ${judged.length - missed.length}/${judged.length} targets met${missed.length ? `; missed: ${missed.join(', ')}` : ''}`,
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
