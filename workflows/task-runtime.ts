/**
 * What every task workflow shares: its slice of the checklist, audit entries, approvals it waits
 * for, and reporting all of that to the parent launch (when there is one) so an approver and an
 * auditor only ever need the launch's own page.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setDefaultSignalHandler,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ThresholdResult } from '../domain/analysis.js';
import { boundAudit, claimedSender, decidePendingApproval, signalNameForAudit } from '../domain/approvals.js';
import { checks } from './activity-options.js';
import { mergeTaskProgress, type ProgressReport } from './progress-batch.js';
import { recordApprovalWait } from './metrics.js';
import { applyItemUpdate, type ChecklistState, type Evidence, type ItemStatus } from '../domain/checklist.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { AuditEntry, AuditInput, PendingApproval } from '../domain/launch-state.js';
import { examplePayload, isSignalName, type SignalName, type SignalPayloads } from '../domain/messages.js';
import type { LaunchPlan } from '../domain/plan.js';
import {
  analysisQuery,
  auditQuery,
  checklistQuery,
  deliverApprovalSignal,
  publicSignals,
  SIGNAL_DESCRIPTIONS,
  taskProgressSignal,
} from './messages.js';

export const ENGINE = 'launch-control';
/** Unchanged analysis results reach the parent at most this often. */
export const ANALYSIS_REPORT_EVERY_MS = 5 * 60_000;

export type TaskInput = { plan: LaunchPlan; launchId: string };

/**
 * Marks runs whose reports to the launch are batched (one signal per workflow activation instead of
 * one awaited signal per report). Runs recorded before it replay with the old, one-by-one reports.
 */
export const BATCHED_REPORTS_PATCH = 'task-reports-batched';

const RESERVED_SIGNAL = /^Cannot use signal name: '([\s\S]*)', with reserved prefix/;

/**
 * Signals this workflow has no handler for (an unknown name, a typo, an approval sent to the wrong
 * task, a name with Temporal's reserved `__temporal_` prefix) are handed to `refuse`, which audits
 * them, and never fail a workflow task.
 *
 * Not through a permanent `setDefaultSignalHandler`: with one set, the SDK (1.24) throws on any
 * signal named `__temporal_…` while activating the workflow, so one such signal, sent from the UI
 * or CLI, fails every workflow task from then on and the launch is stuck for good. Instead the SDK
 * keeps unhandled signals buffered, and after every activation job (condition predicates run after
 * each job, on replay too, so this is deterministic) a default handler is set just long enough to
 * take them out of the buffer; a reserved name throws on dispatch after leaving the buffer and is
 * refused the same way. Call after the workflow's own handlers are registered.
 */
export function refuseUnhandledSignals(refuse: (name: string, raw: unknown) => void) {
  let armed = false;
  const drain = (): false => {
    // The eager first evaluation happens while the workflow is still registering its handlers.
    if (!armed) {
      armed = true;
      return false;
    }
    for (let round = 0; round < 10_000; round += 1) {
      try {
        setDefaultSignalHandler((name: string, ...args: unknown[]) => refuse(name, args[0]));
        break;
      } catch (err) {
        const name = RESERVED_SIGNAL.exec(err instanceof Error ? err.message : '')?.[1];
        refuse(name ?? '(reserved signal name)', undefined);
      }
    }
    setDefaultSignalHandler(undefined);
    return false;
  };
  void CancellationScope.nonCancellable(() => condition(drain)).catch(() => undefined);
}

export class TaskRuntime {
  readonly checklist: ChecklistState = {};
  readonly audit: AuditEntry[] = [];
  pending: PendingApproval[] = [];
  lastAnalysis: { at: string; results: ThresholdResult[] } | null = null;
  private readonly inbox: { name: SignalName; payload: unknown }[] = [];
  private readonly parentId = workflowInfo().parent?.workflowId;
  private reportedVerdicts = '';
  private reportedAt = 0;
  /** Reports not yet signalled to the launch. */
  private readonly outbox: ProgressReport[] = [];
  /** Reports queued so far, and how many of them the launch has (sent or given up on). */
  private queuedReports = 0;
  private deliveredCount = 0;
  /** A signal to the launch that failed while the launch runs: the task must not go on as if told. */
  private reportFailure: Error | null = null;
  private readonly batchedReports: boolean;

  constructor(
    readonly task: TaskId,
    readonly plan: LaunchPlan,
    readonly launchId: string,
    approvals: SignalName[] = [],
  ) {
    // First thing in the run, so old and new histories take the same branch on every replay.
    this.batchedReports = this.parentId !== undefined && patched(BATCHED_REPORTS_PATCH);
    if (this.batchedReports) this.startReportSender();
    setHandler(checklistQuery, () => this.checklist, { description: 'Checklist items of this task' });
    setHandler(auditQuery, () => this.audit, { description: 'Audit entries of this task (standalone runs)' });
    setHandler(analysisQuery, () => this.lastAnalysis, { description: 'Latest analysis results' });
    for (const name of approvals) {
      setHandler(publicSignals[name], (raw) => this.receive(name, raw), {
        description: SIGNAL_DESCRIPTIONS[name],
      });
    }
    setHandler(deliverApprovalSignal, (message) => this.deliver(message), {
      description: 'Internal: an approval the parent launch already checked and audited',
    });
    refuseUnhandledSignals(
      (name, raw) =>
        void this.record({
          actor: claimedSender(raw),
          action: signalNameForAudit(name),
          outcome: 'refused',
          identity: 'claimed',
          via: 'signal',
          reason: `${this.hasParent ? `send signals to the launch ${this.parentId}; ` : ''}this task takes no signal "${signalNameForAudit(name)}"`,
        }),
    );
  }

  /** Restores items carried over a continue-as-new. */
  restore(checklist: ChecklistState) {
    Object.assign(this.checklist, checklist);
  }

  /** Whether this run batches its reports (see BATCHED_REPORTS_PATCH). */
  get batched(): boolean {
    return this.batchedReports;
  }

  get hasParent(): boolean {
    return this.parentId !== undefined;
  }

  now(): string {
    return new Date().toISOString();
  }

  async item(
    id: string,
    status: ItemStatus,
    fields: { evidence?: Evidence; reason?: string; by?: string } = {},
  ) {
    const update = {
      id,
      status,
      ...(fields.evidence ? { evidence: fields.evidence } : {}),
      ...(fields.reason ? { reason: fields.reason } : {}),
      ...(status === 'passed' || status === 'failed'
        ? { verifiedAt: this.now(), verifiedBy: fields.by ?? ENGINE }
        : {}),
    };
    applyItemUpdate(this.checklist, update);
    await this.report({ items: [update] });
  }

  running(id: string) {
    return this.item(id, 'running');
  }

  pass(id: string, evidence: Evidence, by?: string) {
    return this.item(id, 'passed', { evidence, ...(by ? { by } : {}) });
  }

  fail(id: string, reason: string, evidence: Evidence = {}) {
    return this.item(id, 'failed', { reason, evidence });
  }

  /** Passes or fails an item on a check's outcome; returns whether it passed. */
  async verdict(id: string, ok: boolean, evidence: Evidence, failureReason: string): Promise<boolean> {
    if (ok) await this.pass(id, evidence);
    else await this.fail(id, failureReason, evidence);
    return ok;
  }

  async record(input: AuditInput) {
    const at = this.now();
    const entry = boundAudit(input);
    if (this.hasParent) await this.report({ audit: [{ ...entry, task: this.task, at }] });
    else this.recordLocal(entry);
  }

  /** Records in this workflow's own log (a standalone run); returns the entry's sequence number. */
  recordLocal(entry: AuditInput): number {
    const seq = this.audit.length + 1;
    this.audit.push({ ...boundAudit(entry), task: this.task, seq, at: this.now() });
    return seq;
  }

  async progress(progress: ProgressReport) {
    if (progress.lastAnalysis) this.lastAnalysis = progress.lastAnalysis;
    await this.report(progress);
  }

  /**
   * Reports to the launch. Batched runs queue the report and return at once: the sender signals
   * everything queued once the workflow has nothing left to do in this activation, so a task's
   * items, audit entries and progress cost one signal per step instead of one round trip each.
   * Where the launch must know before the task goes on, call `reportsSoFarDelivered()`.
   */
  private async report(progress: ProgressReport) {
    if (!this.parentId) return;
    if (this.batchedReports) {
      this.outbox.push(progress);
      this.queuedReports += 1;
      // Cancellable, like the awaited signal before batching: an abort now stops the deploy.
      if (progress.productionTouched) await this.reportsSoFarDelivered();
      return;
    }
    await getExternalWorkflowHandle(this.parentId).signal(taskProgressSignal, {
      task: this.task,
      ...progress,
    });
  }

  /** One signal at a time, in order: a later report never overtakes an earlier one. */
  private startReportSender() {
    const parent = getExternalWorkflowHandle(this.parentId!);
    // Not cancellable: when the launch cancels this task, what it did until then still reaches the audit.
    void CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => this.outbox.length > 0);
        const count = this.outbox.length;
        const batch = mergeTaskProgress(this.outbox.splice(0));
        try {
          await parent.signal(taskProgressSignal, { task: this.task, ...batch });
        } catch (err) {
          const message = (err as Error).message;
          // The launch is gone (it closed and this task outlived it): nobody is left to tell.
          if (/not found/i.test(message)) log.warn('task report not delivered', { task: this.task, message });
          else this.reportFailure ??= err as Error;
        } finally {
          this.deliveredCount += count;
        }
      }
    });
  }

  /**
   * Waits, cancellably, until the reports queued so far have reached the launch: before production
   * changes and before an approval is announced. Later ones (refusals of a stranger's signals
   * arriving meanwhile) cannot hold it up.
   */
  async reportsSoFarDelivered() {
    const target = this.queuedReports;
    await condition(() => this.deliveredCount >= target || this.reportFailure !== null);
    this.throwReportFailure();
  }

  /** Waits, even when cancelled, until the outbox is empty: before the task ends, so nothing is lost. */
  private async allReportsDelivered() {
    await CancellationScope.nonCancellable(() => condition(() => this.deliveredCount === this.queuedReports));
  }

  private throwReportFailure() {
    if (this.reportFailure)
      throw ApplicationFailure.create({
        type: 'TaskReportFailed',
        message: `the launch could not be told: ${this.reportFailure.message}`,
        nonRetryable: true,
      });
  }

  /**
   * Runs a task's body, then delivers its last reports whether it returns, fails or continues as
   * new. Unbatched runs get the body's own promise back, so their replays keep the exact order of
   * commands (even an extra `await` here would reorder commands of concurrent branches).
   */
  finish<T>(body: () => Promise<T>): Promise<T> {
    if (!this.batchedReports) return body();
    return (async () => {
      try {
        const result = await body();
        await this.allReportsDelivered();
        this.throwReportFailure();
        return result;
      } catch (err) {
        // The task's own failure (or continue-as-new) is what the launch must see, once told all.
        await this.allReportsDelivered();
        throw err;
      }
    })();
  }

  /**
   * A signal sent straight to this task. Run alone, the task decides and audits it. Inside a
   * launch it is refused (and audited): approvals go to the launch, which checks them once.
   */
  private async receive(name: SignalName, raw: unknown) {
    const refuse = (by: string, reason: string) =>
      this.record({
        actor: by,
        action: name,
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason,
      });
    if (this.parentId)
      return refuse(claimedSender(raw), `send ${name} to the launch ${this.parentId}, not to its task`);
    const decision = decidePendingApproval(name, raw, this.pending, this.plan);
    if (!decision.accepted) return refuse(decision.by, decision.reason);
    this.accept(name, decision.payload, decision.pending);
    await this.record({
      actor: decision.payload.by,
      action: name,
      outcome: 'accepted',
      identity: 'claimed',
      via: 'signal',
      detail: { payload: decision.payload },
    });
  }

  /** From the parent, which already decided and audited: checked again against what this task awaits. */
  private deliver(message: unknown) {
    const { name, payload } = (message ?? {}) as { name?: unknown; payload?: unknown };
    if (!this.parentId) {
      // Only a parent launch delivers: a standalone task decides its own approvals (`receive`).
      this.recordLocal({
        actor: claimedSender(payload),
        action: 'deliverApproval',
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason: 'this task has no parent launch; send the approval itself',
      });
      return;
    }
    if (typeof name !== 'string' || !isSignalName(name)) return;
    const decision = decidePendingApproval(name, payload, this.pending, this.plan);
    if (decision.accepted) this.accept(name, decision.payload, decision.pending);
  }

  /** Takes the approval off the pending list at once, so a second approver cannot also be accepted. */
  private accept(name: SignalName, payload: unknown, pending: PendingApproval | null) {
    this.pending = this.pending.filter((p) => p !== pending);
    this.inbox.push({ name, payload });
  }

  /**
   * Waits for an accepted approval; `null` on timeout (the caller fails safe). While waiting the
   * approval is listed as pending, with the payload it expects, in the launch's status.
   */
  async awaitApproval<K extends SignalName>(
    name: K,
    opts: { approvers: string[]; timeoutMs: number; stage?: number },
  ): Promise<SignalPayloads[K] | null> {
    const entry: PendingApproval = {
      signal: name,
      task: this.task,
      approvers: opts.approvers,
      requestedAt: this.now(),
      timeoutAt: new Date(Date.now() + opts.timeoutMs).toISOString(),
      expects: examplePayload(name, opts.stage === undefined ? {} : { stage: opts.stage }),
      ...(opts.stage === undefined ? {} : { stage: opts.stage }),
    };
    this.pending = [...this.pending, entry];
    await this.report({
      pending: this.pending,
      nextTimer: { what: `${name} approval timeout`, at: entry.timeoutAt },
    });
    // The launch checks approvals against its pending list: it must have it before anyone is asked.
    if (this.batchedReports) await this.reportsSoFarDelivered();
    await this.announce(
      `Approval needed: ${name}${opts.stage === undefined ? '' : ` at ${opts.stage}%`} for ${this.plan.service} ${this.plan.version}`,
      `${opts.approvers.length ? `From: ${opts.approvers.join(', ')}. ` : ''}Send the signal "${name}" on launch ${this.launchId} ` +
        `(Temporal UI → Send a Signal, or POST /launches/${this.launchId}/signals/${name}) before ${entry.timeoutAt} with:\n` +
        JSON.stringify(entry.expects),
    );
    const matches = (m: { name: SignalName; payload: unknown }) =>
      m.name === name && (opts.stage === undefined || (m.payload as { stage?: number }).stage === opts.stage);
    const arrived = await condition(() => this.inbox.some(matches), Math.max(1, opts.timeoutMs));
    this.pending = this.pending.filter((p) => p !== entry);
    await this.report({ pending: this.pending, nextTimer: null });
    recordApprovalWait(
      name,
      arrived ? 'answered' : 'timeout',
      (Date.now() - Date.parse(entry.requestedAt)) / 1000,
    );
    if (!arrived) return null;
    const [message] = this.inbox.splice(this.inbox.findIndex(matches), 1);
    return message!.payload as SignalPayloads[K];
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
      await this.record({
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
   * Latest analysis: kept here for the `analysis` query at every evaluation, but sent to the
   * parent only when a verdict changes or every few minutes, so the launch's history stays small
   * over long monitoring windows.
   */
  async reportAnalysis(results: ThresholdResult[]) {
    const at = this.now();
    this.lastAnalysis = { at, results };
    const verdicts = results.map((r) => `${r.name}:${r.verdict}`).join(',');
    if (verdicts === this.reportedVerdicts && Date.now() - this.reportedAt < ANALYSIS_REPORT_EVERY_MS) return;
    this.reportedVerdicts = verdicts;
    this.reportedAt = Date.now();
    await this.report({ lastAnalysis: this.lastAnalysis });
  }
}
