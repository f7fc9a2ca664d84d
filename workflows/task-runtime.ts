/**
 * What every task workflow shares: its slice of the checklist, its audit entries, and what it hands
 * its launch. The launch believes only what Temporal reports this task returned or failed with
 * (`finish` puts the outcome there) and what the task's own query answers; the `taskProgress`
 * signal is only a prompt to read that query again. Approvals: `task-approvals.ts`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  setHandler,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { ThresholdResult } from '../domain/analysis.js';
import { boundAudit, claimedSender, signalNameForAudit } from '../domain/approvals.js';
import { applyItemUpdate, type ChecklistState, type Evidence, type ItemStatus } from '../domain/checklist.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { AuditEntry, AuditInput } from '../domain/launch-state.js';
import type { SignalName } from '../domain/messages.js';
import type { LaunchPlan } from '../domain/plan.js';
import { checks } from './activity-options.js';
import {
  analysisQuery,
  auditQuery,
  checklistQuery,
  taskProgressSignal,
  taskStateQuery,
  type TaskOutcome,
  type TaskState,
  type WithOutcome,
} from './messages.js';
import { TaskApprovals } from './task-approvals.js';
import { refuseUnhandledSignals } from './unhandled-signals.js';

export const ENGINE = 'launch-control';
/** Unchanged analysis results prompt the launch to read them at most this often. */
export const ANALYSIS_REPORT_EVERY_MS = 5 * 60_000;
/** A task failed (or was cancelled); its details carry the task's outcome. */
export const TASK_FAILED_TYPE = 'TaskFailed';
/**
 * Refusals of other people's signals a task keeps; beyond, they are only counted, so a flood of
 * them neither grows the task without end nor pushes out the engine's own entries.
 */
export const MAX_TASK_REFUSALS = 200;

export type TaskInput = { plan: LaunchPlan; launchId: string };
/** What a task carries over a continue-as-new. */
export type TaskCarry = { checklist: ChecklistState; audit: AuditEntry[]; droppedRefusals?: number };

export class TaskRuntime {
  readonly checklist: ChecklistState = {};
  readonly audit: AuditEntry[] = [];
  /** Refusals beyond MAX_TASK_REFUSALS, counted only. */
  private droppedRefusals = 0;
  lastAnalysis: { at: string; results: ThresholdResult[] } | null = null;
  private trafficPercent: number | null = null;
  private productionTouched = false;
  private nextTimer: { what: string; at: string } | null = null;
  private readonly parentId = workflowInfo().parent?.workflowId;
  /** Something the launch shows changed since it was last prompted to read this task's state. */
  private changed = false;
  private reportedVerdicts = '';
  private reportedAt = 0;
  readonly approvals: TaskApprovals;

  constructor(
    readonly task: TaskId,
    readonly plan: LaunchPlan,
    readonly launchId: string,
    approvals: SignalName[] = [],
    carry?: TaskCarry,
  ) {
    if (carry) {
      Object.assign(this.checklist, carry.checklist);
      this.audit.push(...carry.audit);
      this.droppedRefusals = carry.droppedRefusals ?? 0;
    }
    setHandler(taskStateQuery, () => this.state(), {
      description: 'Internal: this task’s live state, read by its launch',
    });
    setHandler(checklistQuery, () => this.checklist, { description: 'Checklist items of this task' });
    setHandler(auditQuery, () => this.audit, { description: 'Audit entries of this task' });
    setHandler(analysisQuery, () => this.lastAnalysis, { description: 'Latest analysis results' });
    this.approvals = new TaskApprovals(this, approvals);
    refuseUnhandledSignals((name, raw) =>
      this.record({
        actor: claimedSender(raw),
        action: signalNameForAudit(name),
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason: `${this.parentId ? `send signals to the launch ${this.parentId}; ` : ''}this task takes no signal "${signalNameForAudit(name)}"`,
      }),
    );
    if (this.parentId) this.startPrompting(this.parentId);
  }

  get hasParent(): boolean {
    return this.parentId !== undefined;
  }

  get parentLaunchId(): string | undefined {
    return this.parentId;
  }

  now(): string {
    return new Date().toISOString();
  }

  item(id: string, status: ItemStatus, fields: { evidence?: Evidence; reason?: string; by?: string } = {}) {
    applyItemUpdate(this.checklist, {
      id,
      status,
      ...(fields.evidence ? { evidence: fields.evidence } : {}),
      ...(fields.reason ? { reason: fields.reason } : {}),
      ...(status === 'passed' || status === 'failed'
        ? { verifiedAt: this.now(), verifiedBy: fields.by ?? ENGINE }
        : {}),
    });
    this.changed = true;
  }

  running(id: string) {
    this.item(id, 'running');
  }

  pass(id: string, evidence: Evidence, by?: string) {
    this.item(id, 'passed', { evidence, ...(by ? { by } : {}) });
  }

  fail(id: string, reason: string, evidence: Evidence = {}) {
    this.item(id, 'failed', { reason, evidence });
  }

  /** Passes or fails an item on a check's outcome; returns whether it passed. */
  verdict(id: string, ok: boolean, evidence: Evidence, failureReason: string): boolean {
    if (ok) this.pass(id, evidence);
    else this.fail(id, failureReason, evidence);
    return ok;
  }

  /** Items of this task that failed. */
  failedItems() {
    return Object.values(this.checklist).filter((item) => item.status === 'failed');
  }

  /** Appends to this task's audit log (the launch takes it with the outcome); returns the sequence number. */
  record(entry: AuditInput): number {
    const strangersRefusal = entry.outcome === 'refused' && entry.identity === 'claimed';
    if (
      strangersRefusal &&
      this.audit.filter((e) => e.outcome === 'refused' && e.identity === 'claimed').length >=
        MAX_TASK_REFUSALS
    ) {
      this.droppedRefusals += 1;
      return 0;
    }
    const seq = (this.audit.at(-1)?.seq ?? 0) + 1;
    this.audit.push({ ...boundAudit(entry), task: this.task, seq, at: this.now() });
    return seq;
  }

  /** The task is about to change production: an abort from now on must roll back. */
  touchProduction() {
    this.productionTouched = true;
    this.changed = true;
  }

  show(progress: { trafficPercent?: number; nextTimer?: { what: string; at: string } | null }) {
    if (progress.trafficPercent !== undefined) this.trafficPercent = progress.trafficPercent;
    if (progress.nextTimer !== undefined) this.nextTimer = progress.nextTimer;
    this.changed = true;
  }

  /** Pending approvals changed (task-approvals.ts): the launch should read them now. */
  markChanged() {
    this.changed = true;
  }

  /**
   * Latest analysis: kept for the `analysis` query at every evaluation, but the launch is prompted
   * to read it only when a verdict changes or every few minutes, so its history stays small.
   */
  reportAnalysis(results: ThresholdResult[]) {
    this.lastAnalysis = { at: this.now(), results };
    const verdicts = results.map((r) => `${r.name}:${r.verdict}`).join(',');
    if (verdicts === this.reportedVerdicts && Date.now() - this.reportedAt < ANALYSIS_REPORT_EVERY_MS) return;
    this.reportedVerdicts = verdicts;
    this.reportedAt = Date.now();
    this.changed = true;
  }

  state(): TaskState {
    return {
      task: this.task,
      checklist: this.checklist,
      pending: this.approvals.pending,
      trafficPercent: this.trafficPercent,
      productionTouched: this.productionTouched,
      nextTimer: this.nextTimer,
      lastAnalysis: this.lastAnalysis,
    };
  }

  outcome(): TaskOutcome {
    return {
      task: this.task,
      checklist: { ...this.checklist },
      audit: [
        ...this.audit.map(({ seq: _seq, ...entry }) => entry),
        ...(this.droppedRefusals > 0
          ? [
              {
                actor: ENGINE,
                action: 'refusals-not-kept',
                outcome: 'recorded' as const,
                identity: 'system' as const,
                via: 'workflow' as const,
                task: this.task,
                at: this.now(),
                reason: `${this.droppedRefusals} more refused signals were counted, not kept`,
              },
            ]
          : []),
      ],
      productionTouched: this.productionTouched,
      trafficPercent: this.trafficPercent,
    };
  }

  carry(): TaskCarry {
    return {
      checklist: { ...this.checklist },
      audit: [...this.audit],
      droppedRefusals: this.droppedRefusals,
    };
  }

  /**
   * Runs a task's body and hands the launch its outcome: in the result, or in the details of the
   * failure (an abort, a failed check, a cancellation), which Temporal reports and nobody can
   * send. A bug (not a Temporal failure) and continue-as-new pass through unchanged.
   */
  async finish<T extends object>(body: () => Promise<T>): Promise<WithOutcome<T>> {
    try {
      return { ...(await body()), outcome: this.outcome() };
    } catch (err) {
      if (!(err instanceof TemporalFailure)) throw err;
      throw ApplicationFailure.create({
        type: TASK_FAILED_TYPE,
        message: err.message,
        nonRetryable: true,
        details: [this.outcome()],
        cause: err,
      });
    }
  }

  /** Tells the plan's channels; a chat outage must not stop a launch, so a failure is only audited. */
  async announce(title: string, text: string, severity: 'info' | 'warning' | 'critical' = 'info') {
    try {
      await checks.notify({
        integration: this.plan.integrations.notifier,
        channels: this.plan.notifications.channels,
        message: { title, text, launchId: this.launchId, severity },
      });
    } catch (err) {
      this.record({
        actor: ENGINE,
        action: 'notify',
        outcome: 'refused',
        identity: 'system',
        via: 'workflow',
        reason: `notification failed: ${(err as Error).message}`,
      });
    }
  }

  /**
   * Prompts the launch to read this task's state, once per activation that changed it. Not
   * cancellable: when the launch cancels this task, what it did until then is still shown. A lost
   * prompt costs only freshness: the outcome carries everything.
   */
  private startPrompting(parentId: string) {
    const parent = getExternalWorkflowHandle(parentId);
    void CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => this.changed);
        this.changed = false;
        try {
          await parent.signal(taskProgressSignal, { task: this.task });
        } catch (err) {
          log.warn('launch not prompted', { task: this.task, message: (err as Error).message });
        }
      }
    });
  }
}
