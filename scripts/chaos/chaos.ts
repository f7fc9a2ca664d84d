/**
 * Crash chaos on the demo stack: launches (good and known-bad mixed) run on a real Temporal dev
 * server and real HAProxy/Prometheus while each lane's worker process is SIGKILLed at random
 * moments and restarted. Every approval is sent while the worker is down (the driver kills it
 * first): by signal, as the Temporal UI does, or by the `submitSignal` update, as the API does.
 * Afterwards every launch is checked: terminal phase, HAProxy weights, versions on the slots, each
 * approval in the audit exactly once, no duplicate audit entry, no failed workflow task.
 *
 * With `outages: true` the random kills give way to worker outages timed to the analysis (see
 * scripts/chaos/outages.ts): approvals are then sent with the worker up, so every outage is one
 * the driver planned.
 *
 * Used by `npm run chaos` (scripts/chaos/run-chaos.ts), test/reliability/crash-chaos.test.ts and
 * test/reliability/worker-outage.test.ts.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, LaunchStatus, TerminalPhase } from '../../domain/launch-state.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { launch, type LaunchResult } from '../../workflows/launch.js';
import { auditQuery, statusQuery, submitSignalUpdate } from '../../workflows/messages.js';
import { approveEverything, goodReview } from '../demo/approver.js';
import type { Log } from '../demo/processes.js';
import { freePorts } from '../demo/processes.js';
import { startDevServer, type DevServer } from '../dev-server.js';
import { PROJECT_ROOT, resolveTemporalCli } from '../temporal-cli.js';
import { startLane, type Lane } from './lane.js';
import {
  dealOutageLengths,
  formatOutages,
  OutageDriver,
  outageFigures,
  outagePlan,
  settleOutages,
  type OutageFigures,
  type OutageLengths,
  type OutageRecord,
} from './outages.js';
import { random, type SeededRandom } from './seeded-random.js';

export type ChaosOptions = {
  /** Launches in all (default 20; 12 in outage mode). */
  launches?: number;
  /** Lanes side by side, each a demo stack + namespace + worker process (default 5; 3 in outage mode). */
  lanes?: number;
  /** Every `badEvery`-th launch of a lane is the known-bad build (default 2: every other one). */
  badEvery?: number;
  /** Worker uptime before the next random SIGKILL, ms (default 5–15 s). */
  killAfterMs?: [number, number];
  /** How long the worker stays down after a kill, ms (default 1–3 s). */
  downForMs?: [number, number];
  seed?: number;
  /**
   * Outage mode: no random kills and no kill before an approval; instead each launch's worker is
   * brought down for 1–3 analysis intervals once per ramp stage with traffic and once during
   * monitoring (default false).
   */
  outages?: boolean;
  /** Where each run's directory (`run-<tag>`: stacks, logs, the Temporal db) goes (default `.data/chaos`). */
  dataRoot?: string;
  log?: Log;
};

export type ApprovalRecord = {
  name: string;
  by: string;
  stage?: number;
  via: 'signal' | 'update';
  sentWhileDown: boolean;
  /** Accepted entries for it in the launch's audit (1 is right). */
  acceptedInAudit: number;
};

export type LaunchReport = {
  lane: number;
  launchId: string;
  version: string;
  expected: TerminalPhase;
  actual: string;
  abortCause: string | null;
  abortDetail: string | null;
  weights: { canary: number; stable: number } | null;
  slots: { stable?: string; canary?: string };
  wrongVersions: boolean;
  approvals: ApprovalRecord[];
  lostApprovals: number;
  duplicateAudit: number;
  duplicateAuditDetails: string[];
  auditEntries: number;
  failedWorkflowTasks: number;
  failedWorkflowTaskDetails: string[];
  /** Workflow tasks that timed out because a worker died holding them. */
  workflowTaskTimeouts: number;
  /** Activities retried after an attempt ended (a killed worker's attempts end by timeout). */
  retriedActivities: HistoryFacts['retriedActivities'];
  kills: number;
  /** Outage mode: the outages this launch went through. */
  outages: OutageRecord[];
  durationMs: number;
  error?: string;
};

export type ChaosReport = {
  startedAt: string;
  durationMs: number;
  options: Required<Omit<ChaosOptions, 'log' | 'dataRoot'>>;
  launches: LaunchReport[];
  totals: {
    launches: number;
    sigkills: number;
    /** Of those, at random moments (the rest: right before an approval was sent). */
    randomSigkills: number;
    wrongTerminal: number;
    splitTraffic: number;
    lostApprovals: number;
    duplicateAudit: number;
    failedWorkflowTasks: number;
    wrongVersions: number;
    approvalsSentWhileDown: number;
    errors: number;
    workflowTaskTimeouts: number;
    /** Retried activity attempts by why the previous attempt ended, e.g. `heartbeat timeout`. */
    activityRetries: Record<string, number>;
    /** Outage mode: outcomes by build and the outages (null otherwise). */
    outages: OutageFigures | null;
  };
};

const GOOD = '2.0.0';
const BAD = '3.0.0-bad';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The README's example plan with windows of seconds (the analysis' rates span 10 s). */
export function chaosPlan(launchId: string, version: string): LaunchPlanInput {
  const example = JSON.parse(
    readFileSync(
      join(PROJECT_ROOT, 'examples', version === BAD ? 'bad-version.json' : 'quickstart.json'),
      'utf8',
    ),
  ) as LaunchPlanInput;
  return {
    ...example,
    launchId,
    version,
    // Generous: a worker that is down must delay an approval, never time it out.
    approvals: { ...example.approvals, timeout: '15m' },
    ramp: [
      { percent: 0, observationWindow: '4s', review: 'auto' },
      { percent: 10, observationWindow: '20s', review: 'manual' },
      { percent: 50, observationWindow: '8s', review: 'manual' },
      { percent: 100, observationWindow: '8s', review: 'auto' },
    ],
    analysis: { ...example.analysis!, interval: '2s' },
    drill: { ...example.drill, detectionTimeout: '90s', recoveryTimeout: '2m' },
    // Every interval must be evaluated (a gap fails 5.5): the interval is longer than a worker's
    // recovery (restart + Temporal's 10 s sticky-queue timeout), see docs/reliability.md.
    monitoring: { ...example.monitoring, window: '40s', interval: '20s' },
    review: { ...example.review, timeout: '15m' },
  };
}

/** Serialises what kills and restarts a lane's worker (the monkey and the approval sender). */
class LaneControl {
  private chain: Promise<unknown> = Promise.resolve();
  stopped = false;
  constructor(readonly lane: Lane) {}
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** The identity of an audit entry: everything but its sequence number. Two equal ones are a duplicate. */
export function auditIdentity(entry: AuditEntry): string {
  const { seq: _seq, ...rest } = entry;
  return canonicalJson(rest);
}

/** JSON with object keys sorted at every level, so equal entries give equal strings. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Entries equal to an earlier one (or out of sequence), as `seq: JSON`. */
export function duplicateAuditDetails(audit: AuditEntry[]): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  audit.forEach((entry, i) => {
    const key = auditIdentity(entry);
    if (seen.has(key) || entry.seq !== i + 1) duplicates.push(`${entry.seq}: ${key}`.slice(0, 600));
    seen.add(key);
  });
  return duplicates;
}

export function duplicateAuditEntries(audit: AuditEntry[]): number {
  return duplicateAuditDetails(audit).length;
}

/** Failed workflow tasks in the launch and its task workflows (a handler threw, a bug, non-determinism). */
export async function failedWorkflowTasks(client: Client, launchId: string): Promise<number> {
  return (await failedWorkflowTaskDetails(client, launchId)).length;
}

export async function failedWorkflowTaskDetails(client: Client, launchId: string): Promise<string[]> {
  return (await historyFacts(client, launchId)).failedTasks;
}

export type HistoryFacts = {
  /** Failed workflow tasks: `<workflow id>: cause …: message`. */
  failedTasks: string[];
  /** Workflow tasks that timed out (a worker died holding them). */
  workflowTaskTimeouts: number;
  /** Activities that completed (or failed) on a later attempt, and why the attempt before ended. */
  retriedActivities: { workflowId: string; type: string; attempt: number; previous: string }[];
};

const TIMEOUT_NAMES: Record<number, string> = {
  1: 'start-to-close timeout',
  2: 'schedule-to-start timeout',
  3: 'schedule-to-close timeout',
  4: 'heartbeat timeout',
};

/** What the histories of a launch and its task workflows say about the crashes it went through. */
export async function historyFacts(client: Client, launchId: string): Promise<HistoryFacts> {
  const facts: HistoryFacts = { failedTasks: [], workflowTaskTimeouts: 0, retriedActivities: [] };
  for (const id of [
    launchId,
    ...['readiness', 'lockdown', 'rollback-drill', 'traffic', 'monitoring', 'review'].map(
      (t) => `${launchId}/${t}`,
    ),
  ]) {
    try {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const typeOf = new Map<string, string>();
      for (const e of history.events ?? []) {
        const f = e.workflowTaskFailedEventAttributes;
        // UNHANDLED_COMMAND (1) is the server's own protocol, not a failure of workflow code: a
        // signal arrived while the task completed the workflow, so it is run again with it.
        if (f && f.cause !== 1)
          facts.failedTasks.push(`${id}: cause ${f.cause}: ${f.failure?.message ?? ''}`.slice(0, 500));
        if (e.workflowTaskTimedOutEventAttributes) facts.workflowTaskTimeouts += 1;
        const scheduled = e.activityTaskScheduledEventAttributes;
        if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
        const started = e.activityTaskStartedEventAttributes;
        if (started && (started.attempt ?? 1) > 1) {
          const timeout = started.lastFailure?.timeoutFailureInfo?.timeoutType;
          facts.retriedActivities.push({
            workflowId: id,
            type: typeOf.get(String(started.scheduledEventId)) ?? '?',
            attempt: started.attempt ?? 1,
            previous:
              (timeout ? TIMEOUT_NAMES[Number(timeout)] : undefined) ??
              (started.lastFailure?.message ?? 'unknown').slice(0, 200),
          });
        }
      }
    } catch (err) {
      // a task the launch never reached
      const notFound =
        err instanceof WorkflowNotFoundError || /not found/i.test(err instanceof Error ? err.message : '');
      if (!notFound) throw err;
    }
  }
  return facts;
}

/** A query with a short deadline; the worker may be down or just restarted. */
async function query<T>(client: Client, fn: () => Promise<T>, ms = 5_000): Promise<T> {
  return client.withDeadline(Date.now() + ms, fn);
}

async function runOneLaunch(
  control: LaneControl,
  launchId: string,
  version: string,
  rng: SeededRandom,
  opts: { downForMs: [number, number]; log: Log; outages: OutageLengths | null },
): Promise<LaunchReport> {
  const { lane } = control;
  const started = Date.now();
  const killsBefore = lane.kills();
  const expected: TerminalPhase = version === BAD ? 'ROLLED_BACK' : 'LIVE';
  const report: LaunchReport = {
    lane: lane.index,
    launchId,
    version,
    expected,
    actual: 'unknown',
    abortCause: null,
    abortDetail: null,
    weights: null,
    slots: {},
    wrongVersions: false,
    approvals: [],
    lostApprovals: 0,
    duplicateAudit: 0,
    duplicateAuditDetails: [],
    auditEntries: 0,
    failedWorkflowTasks: 0,
    failedWorkflowTaskDetails: [],
    workflowTaskTimeouts: 0,
    retriedActivities: [],
    kills: 0,
    outages: [],
    durationMs: 0,
  };
  let outages: OutageDriver | null = null;
  try {
    await lane.resetProduction();
    const plan = opts.outages ? outagePlan(chaosPlan(launchId, version)) : chaosPlan(launchId, version);
    if (opts.outages) outages = new OutageDriver(control, launchId, plan, opts.outages, rng, opts.log);
    const handle: WorkflowHandle<typeof launch> = await lane.client.workflow.start(launch, {
      taskQueue: lane.taskQueue,
      workflowId: launchId,
      args: [{ plan }],
    });
    let result: LaunchResult | null = null;
    let failure: unknown = null;
    const done = handle.result().then(
      (r) => (result = r),
      (err: unknown) => (failure = err ?? new Error('failed')),
    );
    const answered = new Set<string>();
    const updates: Promise<unknown>[] = [];
    const docs = `${lane.demo.world.url}/docs/`;
    let approvalCount = 0;
    while (result === null && failure === null) {
      if (lane.workerUp()) {
        let status: LaunchStatus | null = null;
        try {
          status = await query(lane.client, () => handle.query(statusQuery));
        } catch {
          // the worker was killed, is starting, or the task sits on a dead sticky queue
        }
        for (const pending of status?.pendingApprovals ?? []) {
          const key = `${pending.signal}:${pending.stage ?? ''}`;
          if (answered.has(key)) continue;
          answered.add(key);
          const message =
            pending.signal === 'postLaunchReview'
              ? { name: 'postLaunchReview', payload: goodReview(pending.approvers[0]!, pending, docs) }
              : approveEverything(pending);
          if (!message) continue;
          const via: 'signal' | 'update' = approvalCount++ % 3 === 2 ? 'update' : 'signal';
          const record: ApprovalRecord = {
            name: message.name,
            by: (message.payload as { by: string }).by,
            ...(pending.stage === undefined ? {} : { stage: pending.stage }),
            via,
            sentWhileDown: false,
            acceptedInAudit: 0,
          };
          report.approvals.push(record);
          const send = async () => {
            if (via === 'signal') await handle.signal(message.name, message.payload);
            else
              updates.push(
                handle
                  .executeUpdate(submitSignalUpdate, {
                    args: [{ name: message.name, payload: message.payload }],
                  })
                  .catch((err: unknown) => opts.log(`[chaos] ${launchId}: update ${key}: ${String(err)}`)),
              );
          };
          // Outage mode: only the planned outages, so the approval goes to a running worker.
          if (outages) await send();
          // Otherwise kill the worker, send while it is down, bring it back.
          else
            await control.exclusive(async () => {
              await lane.killWorker(`before ${key}`);
              await sleep(200);
              record.sentWhileDown = !lane.workerUp();
              await send();
              await sleep(rng.between(opts.downForMs));
              await lane.startWorker();
            });
        }
        if (status && outages) await outages.step(status);
      }
      await Promise.race([done, sleep(300)]);
    }
    await Promise.race([Promise.allSettled(updates), sleep(30_000)]);
    if (failure) throw failure;
    const end = result as unknown as LaunchResult;
    report.actual = end.phase;
    report.abortCause = end.abort?.cause ?? null;
    report.abortDetail = end.abort?.detail ?? null;

    // The world after the launch: HAProxy's weights and the slots' versions.
    const weights = await lane.productionWeights();
    report.weights = { canary: weights.canary.weight, stable: weights.stable.weight };
    report.slots = {
      stable: lane.demo.stack.versionOf('production', 'stable'),
      canary: lane.demo.stack.versionOf('production', 'canary'),
    };
    report.wrongVersions =
      end.phase === 'LIVE'
        ? report.slots.stable !== version
        : end.phase === 'ROLLED_BACK'
          ? report.slots.stable !== plan.previousVersion || report.slots.canary !== plan.previousVersion
          : false;

    // The audit, read with the `audit` query (a closed workflow still needs a worker to answer).
    const audit = await auditWithRetries(control, () => handle.query(auditQuery));
    report.auditEntries = audit.length;
    report.duplicateAuditDetails = duplicateAuditDetails(audit);
    report.duplicateAudit = report.duplicateAuditDetails.length;
    for (const approval of report.approvals) {
      approval.acceptedInAudit = audit.filter(
        (e) =>
          e.action === approval.name &&
          e.outcome === 'accepted' &&
          e.actor === approval.by &&
          (approval.stage === undefined ||
            (e.detail?.payload as { stage?: number } | undefined)?.stage === approval.stage),
      ).length;
    }
    report.lostApprovals = report.approvals.filter((a) => a.acceptedInAudit !== 1).length;
    const facts = await historyFacts(lane.client, launchId);
    report.failedWorkflowTaskDetails = facts.failedTasks;
    report.workflowTaskTimeouts = facts.workflowTaskTimeouts;
    report.retriedActivities = facts.retriedActivities;
    report.failedWorkflowTasks = report.failedWorkflowTaskDetails.length;
    if (outages) await settleOutages(lane.client, launchId, outages.records);
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
  }
  report.outages = outages?.records ?? [];
  report.kills = lane.kills() - killsBefore;
  report.durationMs = Date.now() - started;
  return report;
}

async function auditWithRetries(control: LaneControl, read: () => Promise<AuditEntry[]>) {
  for (let attempt = 1; ; attempt++) {
    if (!control.lane.workerUp()) await control.exclusive(() => control.lane.startWorker());
    try {
      return await query(control.lane.client, read, 10_000);
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(1_000);
    }
  }
}

/** Kills the lane's worker at random moments (uptime drawn from `killAfterMs`) until stopped. */
async function monkey(control: LaneControl, rng: SeededRandom, opts: Required<ChaosOptions>) {
  while (!control.stopped) {
    await sleep(rng.between(opts.killAfterMs));
    if (control.stopped) break;
    await control.exclusive(async () => {
      if (control.stopped || !control.lane.workerUp()) return;
      await control.lane.killWorker('random');
      await sleep(rng.between(opts.downForMs));
      if (!control.stopped) await control.lane.startWorker();
    });
  }
}

export function formatLaunch(r: LaunchReport): string {
  const ok =
    r.actual === r.expected &&
    r.weights?.canary === 0 &&
    r.lostApprovals === 0 &&
    r.duplicateAudit === 0 &&
    r.failedWorkflowTasks === 0 &&
    !r.wrongVersions &&
    !r.error;
  const approvals = r.approvals.map(
    (a) =>
      `${a.name}${a.stage === undefined ? '' : `@${a.stage}`}/${a.via}${a.sentWhileDown ? '(down)' : '(UP)'}×${a.acceptedInAudit}`,
  );
  return [
    ok ? 'ok  ' : 'FAIL',
    `lane ${r.lane}`,
    r.launchId.padEnd(22),
    `expected ${r.expected.padEnd(11)} actual ${r.actual.padEnd(11)}`,
    `weights canary ${r.weights?.canary ?? '?'}/stable ${r.weights?.stable ?? '?'}`,
    `slots ${r.slots.stable ?? '?'}/${r.slots.canary ?? '?'}`,
    `approvals sent while down ${r.approvals.filter((a) => a.sentWhileDown).length}/${r.approvals.length}, in audit once ${r.approvals.filter((a) => a.acceptedInAudit === 1).length} [${approvals.join(' ')}]`,
    `dup audit ${r.duplicateAudit}/${r.auditEntries}`,
    `failed wf tasks ${r.failedWorkflowTasks} (timed out ${r.workflowTaskTimeouts})`,
    `activity retries ${r.retriedActivities.length}`,
    `kills ${r.kills}`,
    ...(r.outages.length > 0 ? [`outages ${formatOutages(r.outages)}`] : []),
    `${(r.durationMs / 1000).toFixed(0)} s`,
    ...(r.abortCause ? [`cause ${r.abortCause}`] : []),
    ...(r.actual !== r.expected && r.abortDetail ? [`(${r.abortDetail.slice(0, 200)})`] : []),
    ...(r.error ? [`ERROR ${r.error}`] : []),
  ].join(' · ');
}

export function summaryLine(report: ChaosReport): string {
  const t = report.totals;
  return (
    `chaos: ${t.launches} launches, ${t.sigkills} SIGKILLs (${t.randomSigkills} at random moments), wrong terminal ${t.wrongTerminal}, ` +
    `split traffic ${t.splitTraffic}, lost approvals ${t.lostApprovals}, duplicate audit ${t.duplicateAudit}, ` +
    `failed workflow tasks ${t.failedWorkflowTasks}, wrong versions ${t.wrongVersions}, errors ${t.errors}; ` +
    `${t.approvalsSentWhileDown} approvals sent while the worker was down, ` +
    `${t.workflowTaskTimeouts} workflow tasks timed out and ${Object.values(t.activityRetries).reduce((a, b) => a + b, 0)} activity attempts retried after kills; ${report.options.lanes} lanes, ${(report.durationMs / 60_000).toFixed(1)} min`
  );
}

export function chaosFailed(report: ChaosReport): boolean {
  const t = report.totals;
  return (
    t.wrongTerminal +
      t.splitTraffic +
      t.lostApprovals +
      t.duplicateAudit +
      t.failedWorkflowTasks +
      t.wrongVersions +
      t.errors >
      0 ||
    t.launches === 0 ||
    t.outages?.outages === 0
  );
}

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const opts: Required<ChaosOptions> = {
    // Outage mode times its kills to windows of seconds: fewer lanes keep restarts quick on 2 cores.
    launches: options.launches ?? (options.outages ? 12 : 20),
    lanes: options.lanes ?? (options.outages ? 3 : 5),
    badEvery: options.badEvery ?? 2,
    killAfterMs: options.killAfterMs ?? [5_000, 15_000],
    downForMs: options.downForMs ?? [1_000, 3_000],
    seed: options.seed ?? Date.now() % 1_000_000,
    outages: options.outages ?? false,
    dataRoot: options.dataRoot ?? join(PROJECT_ROOT, '.data', 'chaos'),
    log: options.log ?? ((line: string) => console.log(line)),
  };
  const { log } = opts;
  const startedAt = new Date();
  const runTag = startedAt.getTime().toString(36).slice(-5);
  // Each run in its own directory, so two runs at once never share a socket, pid file or database.
  const runRoot = join(opts.dataRoot, `run-${runTag}`);
  removeOldRuns(opts.dataRoot);
  mkdirSync(runRoot, { recursive: true });

  log(`[chaos] bundling the workflow code once (seed ${opts.seed})…`);
  const bundlePath = join(runRoot, 'workflow-bundle.js');
  writeFileSync(
    bundlePath,
    (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger })).code,
  );

  const namespaces = Array.from({ length: opts.lanes }, (_, i) => `chaos-${i + 1}`);
  const [port, uiPort] = await freePorts(2);
  let server: DevServer | null = null;
  const lanes: Lane[] = [];
  const controls: LaneControl[] = [];
  const killServerOnExit = () => server?.process.kill('SIGKILL');
  process.on('exit', killServerOnExit);
  try {
    server = await startDevServer({
      cli: await resolveTemporalCli(log),
      port: port!,
      uiPort: uiPort!,
      dataDir: join(runRoot, 'temporal'),
      namespaces,
      log,
    });
    log(`[chaos] starting ${opts.lanes} lane(s): demo stack + namespace + worker process each…`);
    for (let i = 1; i <= opts.lanes; i++) {
      const lane = await startLane({
        index: i,
        address: server.address,
        dataRoot: runRoot,
        bundlePath,
        log,
      });
      lanes.push(lane);
      await lane.startWorker();
    }
    log(`[chaos] Temporal UI ${server.uiUrl} (namespaces ${namespaces.join(', ')})`);

    // Launch n goes to lane n mod lanes; each lane runs its launches one after another and mixes
    // good and bad (the k-th launch of lane i is bad when (k + i) mod badEvery = badEvery − 1).
    const plan = Array.from({ length: opts.launches }, (_, n) => {
      const lane = n % opts.lanes;
      const k = Math.floor(n / opts.lanes);
      return { n: n + 1, version: (k + lane) % opts.badEvery === opts.badEvery - 1 ? BAD : GOOD };
    });
    const lengths = opts.outages
      ? dealOutageLengths(
          random(opts.seed ^ 0x0a7a6e),
          plan.map((p) => ({ n: p.n, good: p.version === GOOD })),
        )
      : null;
    const reports: LaunchReport[] = [];
    await Promise.all(
      lanes.map(async (lane, i) => {
        const control = new LaneControl(lane);
        controls.push(control);
        const rng = random(opts.seed + i * 7919);
        const chaos = opts.outages ? Promise.resolve() : monkey(control, rng, opts);
        for (const { n, version } of plan.filter((p) => (p.n - 1) % opts.lanes === i)) {
          const id = `chaos-${runTag}-${String(n).padStart(2, '0')}-${version === BAD ? 'bad' : 'good'}`;
          log(`[chaos] lane ${lane.index}: ${id} starts`);
          const report = await runOneLaunch(control, id, version, rng, {
            downForMs: opts.downForMs,
            log,
            outages: lengths?.get(n) ?? null,
          });
          reports.push(report);
          log(formatLaunch(report));
        }
        control.stopped = true;
        await chaos;
      }),
    );
    reports.sort((a, b) => a.launchId.localeCompare(b.launchId));
    const count = (f: (r: LaunchReport) => boolean) => reports.filter(f).length;
    const report: ChaosReport = {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      options: {
        launches: opts.launches,
        lanes: opts.lanes,
        badEvery: opts.badEvery,
        killAfterMs: opts.killAfterMs,
        downForMs: opts.downForMs,
        seed: opts.seed,
        outages: opts.outages,
      },
      launches: reports,
      totals: {
        launches: reports.length,
        sigkills: lanes.reduce((sum, lane) => sum + lane.kills(), 0),
        randomSigkills: lanes.reduce(
          (sum, lane) => sum + lane.events.filter((e) => e.what === 'kill' && e.detail === 'random').length,
          0,
        ),
        wrongTerminal: count((r) => r.actual !== r.expected),
        splitTraffic: count((r) => r.weights?.canary !== 0),
        lostApprovals: reports.reduce((sum, r) => sum + r.lostApprovals, 0),
        duplicateAudit: reports.reduce((sum, r) => sum + r.duplicateAudit, 0),
        failedWorkflowTasks: reports.reduce((sum, r) => sum + r.failedWorkflowTasks, 0),
        wrongVersions: count((r) => r.wrongVersions),
        approvalsSentWhileDown: reports.reduce(
          (sum, r) => sum + r.approvals.filter((a) => a.sentWhileDown).length,
          0,
        ),
        errors: count((r) => r.error !== undefined),
        workflowTaskTimeouts: reports.reduce((sum, r) => sum + r.workflowTaskTimeouts, 0),
        activityRetries: reports
          .flatMap((r) => r.retriedActivities)
          .reduce<Record<string, number>>((acc, a) => {
            const key = `${a.type} after ${a.previous}`;
            acc[key] = (acc[key] ?? 0) + 1;
            return acc;
          }, {}),
        outages: opts.outages ? outageFigures(reports) : null,
      },
    };
    return report;
  } finally {
    for (const control of controls) control.stopped = true;
    for (const lane of lanes)
      await lane.stop().catch((err: unknown) => log(`[chaos] stopping lane: ${String(err)}`));
    await server?.stop();
    process.off('exit', killServerOnExit);
  }
}

/** Run directories (stacks, logs, TSDBs, the Temporal db) older than a day. */
function removeOldRuns(dataRoot: string) {
  if (!existsSync(dataRoot)) return;
  for (const name of readdirSync(dataRoot)) {
    const path = join(dataRoot, name);
    if (name.startsWith('run-') && Date.now() - statSync(path).mtimeMs > 24 * 3_600_000)
      rmSync(path, { recursive: true, force: true });
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
