/**
 * The launch's record: status, the whole checklist, the audit log (sequence-numbered, append
 * only) and the approvals its tasks wait for. Answers the queries and keeps the search
 * attributes current so the Temporal UI can filter launches.
 */
import { log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { boundAudit } from '../domain/approvals.js';
import { applyItemUpdate, checklistSummary, type ChecklistState } from '../domain/checklist.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { AuditEntry, AuditInput, LaunchStatus, PendingApproval, Phase } from '../domain/launch-state.js';
import type { LaunchPlan } from '../domain/plan.js';
import {
  auditQuery,
  checklistQuery,
  statusQuery,
  taskProgressSignal,
  type TaskProgress,
} from './messages.js';
import { LAUNCH_PHASE, LAUNCH_SERVICE, LAUNCH_TRAFFIC_PERCENT, LAUNCH_VERSION } from './search-attributes.js';

export class LaunchBook {
  readonly checklist: ChecklistState = {};
  readonly audit: AuditEntry[] = [];
  private readonly pendingByTask = new Map<TaskId, PendingApproval[]>();
  readonly status: LaunchStatus;

  constructor(
    readonly plan: LaunchPlan,
    readonly launchId: string,
  ) {
    const now = new Date().toISOString();
    this.status = {
      launchId,
      service: plan.service,
      version: plan.version,
      previousVersion: plan.previousVersion,
      phase: 'STARTING',
      task: null,
      trafficPercent: 0,
      pendingApprovals: [],
      startedAt: workflowInfo().startTime.toISOString(),
      updatedAt: now,
      activeTaskWorkflowId: null,
      nextTimer: null,
      lastAnalysis: null,
      abort: null,
      compensations: [],
      checklist: checklistSummary(this.checklist),
    };
    setHandler(statusQuery, () => ({ ...this.status, checklist: checklistSummary(this.checklist) }), {
      description:
        'Phase, task, traffic %, pending approvals (with the payload each expects), next timer, abort cause',
    });
    setHandler(checklistQuery, () => this.checklist, {
      description: 'All 60 Phase 5 items with status and evidence',
    });
    setHandler(auditQuery, () => this.audit, { description: 'Who decided what, when, on what evidence' });
    setHandler(taskProgressSignal, (progress) => this.applyProgress(progress), {
      description: 'Internal: progress reported by a task workflow',
    });
    upsertSearchAttributes([
      { key: LAUNCH_SERVICE, value: plan.service },
      { key: LAUNCH_VERSION, value: plan.version },
      { key: LAUNCH_PHASE, value: 'STARTING' },
      { key: LAUNCH_TRAFFIC_PERCENT, value: 0 },
    ]);
  }

  /** Appends to the audit log; returns the entry's sequence number. */
  record(entry: AuditInput): number {
    const seq = this.audit.length + 1;
    this.audit.push({ ...boundAudit(entry), seq, at: new Date().toISOString() });
    this.touch();
    return seq;
  }

  setPhase(phase: Phase, task: TaskId | null = this.status.task) {
    this.status.phase = phase;
    this.status.task = task;
    upsertSearchAttributes([{ key: LAUNCH_PHASE, value: phase }]);
    log.info('launch phase', { launchId: this.launchId, service: this.plan.service, phase, task });
    this.record({
      actor: 'launch-control',
      action: 'phase',
      outcome: 'recorded',
      identity: 'system',
      via: 'workflow',
      detail: { phase, task },
    });
  }

  setTraffic(percent: number) {
    if (percent === this.status.trafficPercent) return;
    this.status.trafficPercent = percent;
    upsertSearchAttributes([{ key: LAUNCH_TRAFFIC_PERCENT, value: percent }]);
  }

  pendingApprovals(): PendingApproval[] {
    return [...this.pendingByTask.values()].flat();
  }

  /** Takes an approval off the pending list at once, so two racing approvers cannot both be accepted. */
  consumePending(approval: PendingApproval | null) {
    if (!approval) return;
    const list = this.pendingByTask.get(approval.task) ?? [];
    this.pendingByTask.set(
      approval.task,
      list.filter((p) => p !== approval),
    );
    this.status.pendingApprovals = this.pendingApprovals();
  }

  clearPending() {
    this.pendingByTask.clear();
    this.status.pendingApprovals = [];
    this.status.nextTimer = null;
  }

  /** Set once a task has changed production (deploy or traffic): an abort then ends ROLLED_BACK. */
  productionTouched = false;

  /**
   * Progress from the running task. Anyone with signal rights could send this signal, so it is
   * accepted only for the task that is running, and a bad one is recorded, never thrown.
   */
  private applyProgress(progress: TaskProgress) {
    try {
      if (!progress || typeof progress !== 'object' || progress.task !== this.status.task)
        throw new Error(
          `progress for task ${String((progress as TaskProgress | undefined)?.task)} while ${this.status.task ?? 'no task'} runs`,
        );
      for (const update of progress.items ?? []) applyItemUpdate(this.checklist, update);
      for (const entry of progress.audit ?? [])
        this.audit.push({ ...boundAudit(entry), task: progress.task, seq: this.audit.length + 1 });
      if (progress.pending) {
        this.pendingByTask.set(progress.task, progress.pending);
        this.status.pendingApprovals = this.pendingApprovals();
      }
      if (progress.productionTouched) this.productionTouched = true;
      if (progress.trafficPercent !== undefined) this.setTraffic(progress.trafficPercent);
      if (progress.nextTimer !== undefined) this.status.nextTimer = progress.nextTimer;
      if (progress.lastAnalysis) this.status.lastAnalysis = progress.lastAnalysis;
      this.touch();
    } catch (err) {
      this.record({
        actor: '(unknown)',
        action: 'taskProgress',
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason: (err as Error).message,
      });
    }
  }

  private touch() {
    this.status.updatedAt = new Date().toISOString();
  }
}
