/**
 * Outage mode of the chaos run (issue 12, "analysis with no gaps"): instead of killing workers at
 * random moments, each launch gets worker outages timed to its analysis. While a ramp stage with
 * traffic (> 0 %) or heightened monitoring is observing, the driver SIGKILLs the lane's worker,
 * keeps it down for k analysis intervals (k dealt 1–3 from a seeded deck) and restarts it, so
 * the outage lies inside the observation window. A good build must still go LIVE and a bad one
 * must still be rolled back.
 *
 * Used by scripts/chaos/chaos.ts (`runChaos({ outages: true })`, `npm run chaos -- --outages`) and
 * test/reliability/worker-outage.test.ts.
 */
import type { Client } from '@temporalio/client';
import type { LaunchStatus } from '../../domain/launch-state.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { durationMs } from '../../domain/durations.js';
import { checklistQuery, taskStateQuery } from '../../workflows/messages.js';
import { localActivityOf } from '../../test/support/local-activities.js';
import type { Log } from '../demo/processes.js';
import type { ChaosReport, LaunchReport } from './chaos.js';
import type { Lane } from './lane.js';
import type { SeededRandom } from './seeded-random.js';

export type OutagePhase = 'ramp' | 'monitoring';

/** Outage lengths, in intervals, for one launch: per ramp stage (percent) and for monitoring. */
export type OutageLengths = { ramp: Record<number, number>; monitoring: number };

export type OutageRecord = {
  phase: OutagePhase;
  /** The ramp stage's percent (monitoring: 100). */
  stage: number;
  /** Planned length in analysis intervals: the worker stays down k × interval before the restart. */
  intervals: number;
  intervalMs: number;
  /** The observation window's end as the task announced it (monitoring: its start + window). */
  windowEndsAt: number;
  /** Evaluations the window is due: window ÷ interval. */
  slots: number;
  /** Measurements the stage (or monitoring) took in all; fewer than `slots` is a gap. */
  measured: number | null;
  killedAt: number;
  /** The restarted worker polls again. */
  readyAt: number;
  /** The task (traffic / monitoring workflow) was still running at the kill (read from its history). */
  hitTask: boolean | null;
  /**
   * Time without a measurement around the outage: from the last one before the kill (or the kill)
   * to the first one after in the same stage, ms (Temporal's sticky queue timeout adds to the
   * worker's downtime). Null when the stage (or monitoring) took no measurement after the outage.
   */
  stalledMs: number | null;
  /** Slots of the stage (or monitoring) judged at least an interval late, and the worst lateness (ms). */
  caughtUp?: { slots: number; maxLateMs: number };
  /** Set when the driver saw the window too late for the outage to fit; nothing was killed. */
  skipped?: string;
};

/** Worker restart (process start, connect, bundle load) on a loaded 2-core machine, with margin. */
const RESTART_ALLOWANCE_MS = 3_000;
export const OUTAGE_INTERVAL = '2s';

/**
 * The chaos plan with windows that fit a 3-interval outage: analysis and monitoring every 2 s,
 * 12 s per ramp stage with traffic and 16 s of monitoring.
 */
export function outagePlan(base: LaunchPlanInput): LaunchPlanInput {
  return {
    ...base,
    ramp: [
      { percent: 0, observationWindow: '4s', review: 'auto' },
      { percent: 10, observationWindow: '12s', review: 'manual' },
      { percent: 50, observationWindow: '12s', review: 'manual' },
      { percent: 100, observationWindow: '12s', review: 'auto' },
    ],
    analysis: { ...base.analysis!, interval: OUTAGE_INTERVAL },
    monitoring: { ...base.monitoring!, window: '16s', interval: OUTAGE_INTERVAL },
  };
}

/**
 * Deals outage lengths from seeded shuffled decks of [1, 2, 3]: each launch's three ramp stages
 * get one deck (so every launch sees 1, 2 and 3 intervals in some order), and monitoring outages
 * are dealt to the good launches first, in launch order, so every three good launches see all three.
 */
export function dealOutageLengths(
  rng: SeededRandom,
  launches: { n: number; good: boolean }[],
): Map<number, OutageLengths> {
  const deck = () => {
    let cards: number[] = [];
    return () => {
      if (cards.length === 0) cards = shuffle([1, 2, 3], rng);
      return cards.pop()!;
    };
  };
  const rampCard = deck();
  const monitoringCard = deck();
  const lengths = new Map<number, OutageLengths>();
  for (const { n } of launches)
    lengths.set(n, { ramp: { 10: rampCard(), 50: rampCard(), 100: rampCard() }, monitoring: 0 });
  for (const { n } of [...launches.filter((l) => l.good), ...launches.filter((l) => !l.good)])
    lengths.get(n)!.monitoring = monitoringCard();
  return lengths;
}

function shuffle<T>(items: T[], rng: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Watches one launch and brings its lane's worker down once per ramp stage and once in monitoring. */
export class OutageDriver {
  readonly records: OutageRecord[] = [];
  private readonly seen = new Set<string>();
  private readonly intervalMs: number;
  private readonly monitoringIntervalMs: number;
  private readonly monitoringWindowMs: number;
  private readonly stageWindowMs: Record<number, number>;

  constructor(
    private readonly control: { lane: Lane; exclusive<T>(fn: () => Promise<T>): Promise<T> },
    private readonly launchId: string,
    plan: LaunchPlanInput,
    private readonly lengths: OutageLengths,
    private readonly rng: SeededRandom,
    private readonly log: Log,
  ) {
    this.intervalMs = durationMs(plan.analysis!.interval!);
    this.monitoringIntervalMs = durationMs(plan.monitoring!.interval!);
    this.monitoringWindowMs = durationMs(plan.monitoring!.window!);
    this.stageWindowMs = Object.fromEntries(
      plan.ramp!.map((s) => [s.percent, durationMs(s.observationWindow)]),
    );
  }

  /** Called by the driver loop with the launch's status while the worker is up. */
  async step(status: LaunchStatus): Promise<void> {
    const client = this.control.lane.client;
    const taskId = status.activeTaskWorkflowId;
    if (!taskId) return;
    if (status.phase === 'TRAFFIC') {
      const state = await withDeadline(client, () =>
        client.workflow.getHandle(taskId).query(taskStateQuery),
      ).catch(() => null);
      const percent = state?.trafficPercent ?? 0;
      const timer = state?.nextTimer;
      if (percent <= 0 || timer?.what !== `end of the ${percent}% observation window`) return;
      const k = this.lengths.ramp[percent];
      if (k === undefined || !this.once(`ramp:${percent}`)) return;
      await this.outage('ramp', percent, k, {
        intervalMs: this.intervalMs,
        windowMs: this.stageWindowMs[percent]!,
        endsAt: Date.parse(timer.at),
      });
    } else if (status.phase === 'MONITORING' && taskId.endsWith('/monitoring')) {
      if (this.seen.has('monitoring')) return;
      const description = await client.workflow
        .getHandle(taskId)
        .describe()
        .catch(() => null);
      if (!description || !this.once('monitoring')) return;
      const started = description.startTime.getTime();
      // The window starts after the on-call lookup, so this end is a little early: conservative.
      await this.outage('monitoring', 100, this.lengths.monitoring, {
        intervalMs: this.monitoringIntervalMs,
        windowMs: this.monitoringWindowMs,
        endsAt: started + this.monitoringWindowMs,
      });
    }
  }

  private once(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  private async outage(
    phase: OutagePhase,
    stage: number,
    k: number,
    window: { intervalMs: number; windowMs: number; endsAt: number },
  ) {
    const { lane } = this.control;
    const { intervalMs, endsAt: windowEndsAt } = window;
    const record: OutageRecord = {
      phase,
      stage,
      intervals: k,
      intervalMs,
      windowEndsAt,
      slots: Math.ceil(window.windowMs / intervalMs),
      measured: null,
      killedAt: 0,
      readyAt: 0,
      hitTask: null,
      stalledMs: null,
    };
    await this.control.exclusive(async () => {
      // Kill at a seeded moment such that the worker is back before the window ends.
      const slack = windowEndsAt - Date.now() - k * intervalMs - RESTART_ALLOWANCE_MS;
      if (slack < 0) {
        record.skipped = `window ends in ${windowEndsAt - Date.now()} ms, too late for ${k} × ${intervalMs} ms`;
        return;
      }
      await sleep(Math.floor(this.rng.next() * slack));
      record.killedAt = Date.now();
      await lane.killWorker(`outage ${phase} ${stage}% ${k}×`);
      await sleep(k * intervalMs);
      await lane.startWorker();
      record.readyAt = Date.now();
    });
    this.records.push(record);
    this.log(
      `[chaos] ${this.launchId}: outage ${phase} ${stage}% ${k} interval(s)` +
        (record.skipped ? ` skipped: ${record.skipped}` : `, down ${record.readyAt - record.killedAt} ms`),
    );
  }
}

/** A query with a short deadline: the worker may have just restarted. */
function withDeadline<T>(client: Client, fn: () => Promise<T>, ms = 3_000): Promise<T> {
  return client.withDeadline(Date.now() + ms, fn);
}

type SlotEvidence = { slots?: { lateMs: number }[]; lateness?: { slots: number; maxLateMs: number } };

/** From the launch's checklist: how many slots each hit window judged late (the catch-up at work). */
async function readCaughtUp(client: Client, launchId: string, records: OutageRecord[]) {
  let checklist: Record<string, { evidence?: unknown } | undefined>;
  try {
    checklist = await withDeadline(
      client,
      () => client.workflow.getHandle(launchId).query(checklistQuery),
      10_000,
    );
  } catch {
    return; // a figure, not a check: left out when the launch cannot be read
  }
  for (const r of records) {
    const item = r.phase === 'ramp' ? `5.3.execution.traffic-${r.stage}` : '5.5.execution.errors';
    const evidence = checklist[item]?.evidence as SlotEvidence | undefined;
    if (evidence?.slots) {
      const late = evidence.slots.filter((slot) => slot.lateMs >= r.intervalMs);
      r.caughtUp = { slots: late.length, maxLateMs: Math.max(0, ...late.map((slot) => slot.lateMs)) };
    } else if (evidence?.lateness) r.caughtUp = evidence.lateness;
  }
}

/** How many slots a `measureSlots` marker holds the samples of (its result is one entry per slot). */
function slotsInMarker(event: {
  markerRecordedEventAttributes?: {
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
}): number {
  const data = event.markerRecordedEventAttributes?.details?.result?.payloads?.[0]?.data;
  if (!data) return 1;
  try {
    const result: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    return Array.isArray(result) ? result.length : 1;
  } catch {
    return 1;
  }
}

/**
 * Reads, after the launch, what each outage did to the task it hit: whether the task still ran at
 * the kill, and how long it went without a measurement (the analysis' local metrics queries; the
 * SLO check after 100 % is an ordinary activity and does not count) in the stage the kill fell in
 * (a stage ends where the next traffic change is scheduled).
 */
export async function settleOutages(client: Client, launchId: string, records: OutageRecord[]) {
  await readCaughtUp(client, launchId, records);
  for (const phase of ['ramp', 'monitoring'] as const) {
    const mine = records.filter((r) => r.phase === phase && !r.skipped);
    if (mine.length === 0) continue;
    const history = await client.workflow
      .getHandle(`${launchId}/${phase === 'ramp' ? 'traffic' : 'monitoring'}`)
      .fetchHistory();
    const measuredAt: number[] = [];
    const stageStarts: number[] = [];
    let closedAt: number | null = null;
    for (const e of history.events ?? []) {
      const local = localActivityOf(e);
      // One entry per slot measured: a late evaluation measures the slots it missed in one call.
      if (local?.type === 'measureSlots')
        for (let n = slotsInMarker(e); n > 0; n--) measuredAt.push(local.completedAt);
      const s = e.activityTaskScheduledEventAttributes;
      if (s && /setTraffic/i.test(s.activityType?.name ?? '')) stageStarts.push(ms(e.eventTime));
      if (
        e.workflowExecutionCompletedEventAttributes ||
        e.workflowExecutionFailedEventAttributes ||
        e.workflowExecutionContinuedAsNewEventAttributes ||
        e.workflowExecutionTerminatedEventAttributes ||
        e.workflowExecutionCanceledEventAttributes ||
        e.workflowExecutionTimedOutEventAttributes
      )
        closedAt = ms(e.eventTime);
    }
    measuredAt.sort((a, b) => a - b);
    for (const r of mine) {
      r.hitTask = closedAt === null || r.killedAt < closedAt;
      const before = measuredAt.filter((t) => t < r.killedAt).at(-1) ?? r.killedAt;
      const stageStart = stageStarts.filter((t) => t < r.killedAt).at(-1) ?? 0;
      const stageEnd = Math.min(stageStarts.find((t) => t > r.killedAt) ?? Infinity, closedAt ?? Infinity);
      r.measured = measuredAt.filter((t) => t > stageStart && t <= stageEnd).length;
      const after = measuredAt.find((t) => t > r.killedAt && t <= stageEnd);
      r.stalledMs = after === undefined ? null : after - before;
    }
  }
}

const ms = (t?: { seconds?: unknown; nanos?: number | null } | null) =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

type Spread = { min: number; max: number } | null;

export type OutageFigures = {
  goodLive: number;
  goodRolledBack: number;
  /** Good launches that ended otherwise (ABORTED, FAILED, an error). */
  goodOther: number;
  badRolledBack: number;
  badPromoted: number;
  badOther: number;
  /** Outages performed (worker killed and restarted). */
  outages: number;
  /** Of those, while the traffic task ran a stage with traffic / while monitoring ran. */
  duringRamp: number;
  duringMonitoring: number;
  /** Killed after the task had ended (e.g. a bad build aborted first): not counted above. */
  afterTaskEnded: number;
  /** Seen too late to fit in the window: not performed. */
  skipped: number;
  /** Outages that hit their task, by planned length in intervals. */
  rampByLength: Record<string, number>;
  monitoringByLength: Record<string, number>;
  /** Kill → worker polling again, in intervals. */
  downIntervals: Spread;
  /** Time without a measurement around each outage that hit its task, in intervals. */
  stalledIntervals: Spread;
  /** Outages after which the stage (or monitoring) took no further measurement. */
  noMeasurementAfter: number;
  /** Windows hit by an outage that took fewer measurements than they were due. */
  windowsShortOfSlots: number;
  /** Bad builds rolled back, by where: `10%`, `50%`, `100%`, `monitoring`, or the abort cause. */
  badCaughtAt: Record<string, number>;
};

export function outageFigures(launches: LaunchReport[]): OutageFigures {
  const good = launches.filter((l) => l.expected === 'LIVE');
  const bad = launches.filter((l) => l.expected !== 'LIVE');
  const all = launches.flatMap((l) => l.outages);
  const done = all.filter((o) => !o.skipped);
  const hit = done.filter((o) => o.hitTask);
  const byLength = (phase: OutagePhase) =>
    Object.fromEntries(
      [1, 2, 3].map((k) => [String(k), hit.filter((o) => o.phase === phase && o.intervals === k).length]),
    );
  const spread = (values: number[]): Spread =>
    values.length === 0 ? null : { min: round1(Math.min(...values)), max: round1(Math.max(...values)) };
  return {
    goodLive: good.filter((l) => l.actual === 'LIVE').length,
    goodRolledBack: good.filter((l) => l.actual === 'ROLLED_BACK').length,
    goodOther: good.filter((l) => l.actual !== 'LIVE' && l.actual !== 'ROLLED_BACK').length,
    badRolledBack: bad.filter((l) => l.actual === 'ROLLED_BACK').length,
    badPromoted: bad.filter((l) => l.actual === 'LIVE').length,
    badOther: bad.filter((l) => l.actual !== 'LIVE' && l.actual !== 'ROLLED_BACK').length,
    outages: done.length,
    duringRamp: hit.filter((o) => o.phase === 'ramp').length,
    duringMonitoring: hit.filter((o) => o.phase === 'monitoring').length,
    afterTaskEnded: done.filter((o) => o.hitTask === false).length,
    skipped: all.length - done.length,
    rampByLength: byLength('ramp'),
    monitoringByLength: byLength('monitoring'),
    downIntervals: spread(done.map((o) => (o.readyAt - o.killedAt) / o.intervalMs)),
    stalledIntervals: spread(hit.flatMap((o) => (o.stalledMs === null ? [] : [o.stalledMs / o.intervalMs]))),
    noMeasurementAfter: hit.filter((o) => o.stalledMs === null).length,
    windowsShortOfSlots: hit.filter((o) => o.measured !== null && o.measured < o.slots).length,
    badCaughtAt: bad
      .filter((l) => l.actual === 'ROLLED_BACK')
      .reduce<Record<string, number>>((acc, l) => {
        const where = caughtAt(l);
        acc[where] = (acc[where] ?? 0) + 1;
        return acc;
      }, {}),
  };
}

/** Where a launch was stopped, read from its abort: `at 50%: …` or `during heightened monitoring: …`. */
function caughtAt(l: LaunchReport): string {
  const stage = /^at (\d+)%/.exec(l.abortDetail ?? '');
  if (stage) return `${stage[1]}%`;
  if (/monitoring/.test(l.abortDetail ?? '')) return 'monitoring';
  return l.abortCause ?? 'unknown';
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** One launch's outages: `ramp@10 2×(down 3.1 iv, stalled 7.0 iv)`. */
export function formatOutages(records: OutageRecord[]): string {
  return records
    .map((o) => {
      const where = `${o.phase === 'ramp' ? `ramp@${o.stage}` : 'monitoring'} ${o.intervals}×`;
      if (o.skipped) return `${where}(skipped)`;
      const down = round1((o.readyAt - o.killedAt) / o.intervalMs);
      const stalled =
        o.stalledMs === null ? 'no measurement after' : `stalled ${round1(o.stalledMs / o.intervalMs)} iv`;
      const caughtUp = o.caughtUp
        ? `, ${o.caughtUp.slots} judged late (≤ ${round1(o.caughtUp.maxLateMs / 1000)} s)`
        : '';
      return `${where}(${o.hitTask === false ? 'task over, ' : ''}down ${down} iv, ${stalled}, measured ${o.measured ?? '?'}/${o.slots}${caughtUp})`;
    })
    .join(' ');
}

export function outageSummaryLines(report: ChaosReport): string[] {
  const f = report.totals.outages;
  if (!f) return [];
  const spread = (s: Spread) => (s ? `${s.min}–${s.max}` : '–');
  const lengths = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${k}×:${n}`)
      .join(' ');
  const failed = report.launches.filter((l) => l.actual !== l.expected);
  return [
    `outages: good ${f.goodLive} LIVE / ${f.goodRolledBack} rolled back${f.goodOther ? ` / ${f.goodOther} other` : ''}, ` +
      `bad ${f.badRolledBack} rolled back / ${f.badPromoted} promoted${f.badOther ? ` / ${f.badOther} other` : ''}; ` +
      `${f.outages} worker outages (${f.duringRamp} during ramp stages [${lengths(f.rampByLength)}], ` +
      `${f.duringMonitoring} during monitoring [${lengths(f.monitoringByLength)}], ${f.afterTaskEnded} after the task ended, ` +
      `${f.skipped} skipped), down ${spread(f.downIntervals)} intervals each, analysis stalled ` +
      `${spread(f.stalledIntervals)} intervals (${f.noMeasurementAfter} with no measurement after in that window, ` +
      `${f.windowsShortOfSlots} windows measured fewer times than due); ` +
      `bad builds caught at ${JSON.stringify(f.badCaughtAt)}`,
    ...report.launches
      .filter((l) => l.expected !== 'LIVE' && l.actual === 'ROLLED_BACK')
      .map((l) => `bad caught: ${l.launchId} at ${caughtAt(l)}: ${l.abortCause}: ${l.abortDetail ?? ''}`),
    ...failed.map(
      (l) =>
        `wrong end: ${l.launchId} ${l.version} expected ${l.expected}, ended ${l.actual}` +
        (l.abortCause ? `: ${l.abortCause}: ${l.abortDetail ?? ''}` : '') +
        (l.error ? ` (error ${l.error})` : ''),
    ),
  ];
}
