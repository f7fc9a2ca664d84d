/**
 * What every task workflow shares: its slice of the checklist, audit entries, approvals it waits
 * for, and reporting all of that to the parent launch (when there is one) so an approver and an
 * auditor only ever need the launch's own page.
 */
import { condition, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ThresholdResult } from '../domain/analysis.js';
import { decidePendingApproval } from '../domain/approvals.js';
import { applyItemUpdate, type ChecklistState, type Evidence, type ItemStatus } from '../domain/checklist.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import { durationMs } from '../domain/durations.js';
import type { AuditEntry, AuditInput, PendingApproval } from '../domain/launch-state.js';
import { examplePayload, type SignalName, type SignalPayloads } from '../domain/messages.js';
import type { LaunchPlan } from '../domain/plan.js';
import {
  analysisQuery,
  auditQuery,
  checklistQuery,
  deliverApprovalSignal,
  publicSignals,
  SIGNAL_DESCRIPTIONS,
  taskProgressSignal,
  type TaskProgress,
} from './messages.js';

export const ENGINE = 'launch-control';

export type TaskInput = { plan: LaunchPlan; launchId: string };

export class TaskRuntime {
  readonly checklist: ChecklistState = {};
  readonly audit: AuditEntry[] = [];
  pending: PendingApproval[] = [];
  lastAnalysis: { at: string; results: ThresholdResult[] } | null = null;
  private readonly inbox: { name: SignalName; payload: unknown }[] = [];
  private readonly parentId = workflowInfo().parent?.workflowId;

  constructor(
    readonly task: TaskId,
    readonly plan: LaunchPlan,
    readonly launchId: string,
    approvals: SignalName[] = [],
  ) {
    setHandler(checklistQuery, () => this.checklist, { description: 'Checklist items of this task' });
    setHandler(auditQuery, () => this.audit, { description: 'Audit entries of this task (standalone runs)' });
    setHandler(analysisQuery, () => this.lastAnalysis, { description: 'Latest analysis results' });
    for (const name of approvals) {
      setHandler(publicSignals[name], (raw) => this.receive(name, raw), {
        description: SIGNAL_DESCRIPTIONS[name],
      });
    }
    setHandler(
      deliverApprovalSignal,
      ({ name, payload }) => {
        this.inbox.push({ name, payload });
      },
      { description: 'Internal: an approval the parent launch already checked and audited' },
    );
  }

  /** Restores items carried over a continue-as-new. */
  restore(checklist: ChecklistState) {
    Object.assign(this.checklist, checklist);
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

  async record(entry: AuditInput) {
    const at = this.now();
    if (this.hasParent) await this.report({ audit: [{ ...entry, task: this.task, at }] });
    else this.recordLocal(entry);
  }

  /** Records in this workflow's own log (a standalone run); returns the entry's sequence number. */
  recordLocal(entry: AuditInput): number {
    const seq = this.audit.length + 1;
    this.audit.push({ ...entry, task: this.task, seq, at: this.now() });
    return seq;
  }

  async progress(progress: Omit<TaskProgress, 'task'>) {
    if (progress.lastAnalysis) this.lastAnalysis = progress.lastAnalysis;
    await this.report(progress);
  }

  private async report(progress: Omit<TaskProgress, 'task'>) {
    if (this.parentId)
      await getExternalWorkflowHandle(this.parentId).signal(taskProgressSignal, {
        task: this.task,
        ...progress,
      });
  }

  /** A signal sent straight to this task (standalone run, or someone bypassing the launch). */
  private async receive(name: SignalName, raw: unknown) {
    const decision = decidePendingApproval(name, raw, this.pending, this.plan);
    if (decision.accepted) {
      this.inbox.push({ name, payload: decision.payload });
      await this.record({
        actor: decision.payload.by,
        action: name,
        outcome: 'accepted',
        identity: 'claimed',
        via: 'signal',
        detail: { payload: decision.payload },
      });
    } else {
      await this.record({
        actor: decision.by,
        action: name,
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason: decision.reason,
      });
    }
  }

  /**
   * Waits for an accepted approval; `null` on timeout (the caller fails safe). While waiting the
   * approval is listed as pending, with the payload it expects, in the launch's status.
   */
  async awaitApproval<K extends SignalName>(
    name: K,
    opts: { approvers: string[]; timeout: string; stage?: number },
  ): Promise<SignalPayloads[K] | null> {
    const requestedAt = this.now();
    const entry: PendingApproval = {
      signal: name,
      task: this.task,
      approvers: opts.approvers,
      requestedAt,
      timeoutAt: new Date(Date.now() + durationMs(opts.timeout)).toISOString(),
      expects: examplePayload(name, opts.stage === undefined ? {} : { stage: opts.stage }),
      ...(opts.stage === undefined ? {} : { stage: opts.stage }),
    };
    this.pending = [...this.pending, entry];
    await this.report({
      pending: this.pending,
      nextTimer: { what: `${name} approval timeout`, at: entry.timeoutAt },
    });
    const matches = (m: { name: SignalName; payload: unknown }) =>
      m.name === name && (opts.stage === undefined || (m.payload as { stage?: number }).stage === opts.stage);
    const arrived = await condition(() => this.inbox.some(matches), durationMs(opts.timeout));
    this.pending = this.pending.filter((p) => p !== entry);
    await this.report({ pending: this.pending, nextTimer: null });
    if (!arrived) return null;
    const index = this.inbox.findIndex(matches);
    const [message] = this.inbox.splice(index, 1);
    return message!.payload as SignalPayloads[K];
  }
}
