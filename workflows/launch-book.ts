/**
 * The launch's record: status, the whole checklist, the audit log (sequence-numbered, append only)
 * and the approvals it accepted. Answers the queries and keeps the search attributes current so
 * the Temporal UI can filter launches.
 *
 * What it believes (docs/security.md): its own entries; a task's items and audit entries only from
 * that task's outcome (`applyOutcome`, fed from what Temporal reports the task returned or failed
 * with); live state only as read from the running task's own query (`showTaskState`), its items
 * marked provisional until the outcome replaces them.
 */
import { log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { checkApprovalItem } from '../domain/approval-items.js';
import { boundAudit } from '../domain/approvals.js';
import { checklistSummary, type ChecklistState, type ItemState } from '../domain/checklist.js';
import { catalogItem, type TaskId } from '../domain/checklist-catalog.js';
import type {
  AcceptedApproval,
  AuditEntry,
  AuditInput,
  LaunchStatus,
  PendingApproval,
  Phase,
} from '../domain/launch-state.js';
import type { LaunchPlan } from '../domain/plan.js';
import {
  acceptedApprovalsQuery,
  auditQuery,
  checklistQuery,
  statusQuery,
  type TaskOutcome,
  type TaskState,
} from './messages.js';
import { LAUNCH_PHASE, LAUNCH_SERVICE, LAUNCH_TRAFFIC_PERCENT, LAUNCH_VERSION } from './search-attributes.js';

const SYSTEM = { actor: 'launch-control', identity: 'system', via: 'workflow' } as const;

export class LaunchBook {
  readonly checklist: ChecklistState = {};
  readonly audit: AuditEntry[] = [];
  readonly accepted: AcceptedApproval[] = [];
  /** The running task's items as its query last answered: shown, never counted as passed. */
  private provisional: ChecklistState = {};
  readonly status: LaunchStatus;
  /** Set once a task has changed production (deploy or traffic): an abort then ends ROLLED_BACK. */
  productionTouched = false;

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
    setHandler(statusQuery, () => ({ ...this.status, checklist: checklistSummary(this.shownChecklist()) }), {
      description:
        'Phase, task, traffic %, pending approvals (with the payload each expects), next timer, abort cause',
    });
    setHandler(checklistQuery, () => this.shownChecklist(), {
      description: 'All 60 Phase 5 items with status and evidence (the running task’s marked provisional)',
    });
    setHandler(auditQuery, () => this.audit, { description: 'Who decided what, when, on what evidence' });
    setHandler(acceptedApprovalsQuery, () => this.accepted, {
      description: 'Internal: approvals this launch accepted, read by its tasks before they act',
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
    this.record({ ...SYSTEM, action: 'phase', outcome: 'recorded', detail: { phase, task } });
  }

  setTraffic(percent: number) {
    if (percent === this.status.trafficPercent) return;
    this.status.trafficPercent = percent;
    upsertSearchAttributes([{ key: LAUNCH_TRAFFIC_PERCENT, value: percent }]);
  }

  /** An approval the launch accepted: recorded, and readable by the task it answers. */
  accept(approval: Omit<AcceptedApproval, 'seq'>, via: 'signal' | 'update', identityDetail: string): number {
    const seq = this.record({
      actor: approval.by,
      action: approval.name,
      outcome: 'accepted',
      identity: approval.identity,
      via,
      task: approval.task,
      detail: { payload: approval.payload, identityDetail },
    });
    this.accepted.push({ ...approval, seq });
    this.status.pendingApprovals = this.status.pendingApprovals.filter((p) => p.key !== approval.pendingKey);
    return seq;
  }

  /** The running task's state as its own query answered it. */
  showTaskState(state: TaskState) {
    if (state.task !== this.status.task) return;
    this.provisional = Object.fromEntries(
      Object.entries(state.checklist)
        .filter(([id]) => belongsTo(id, state.task))
        .map(([id, item]): [string, ItemState] => [id, { ...item, provisional: true }]),
    );
    const taken = new Set(this.accepted.map((a) => a.pendingKey));
    this.status.pendingApprovals = state.pending
      .filter((p) => !taken.has(p.key))
      .map(({ codeHashes: _hashes, ...shown }): PendingApproval => shown);
    if (state.productionTouched) this.productionTouched = true;
    if (state.trafficPercent !== null) this.setTraffic(state.trafficPercent);
    this.status.nextTimer = state.nextTimer;
    if (state.lastAnalysis) this.status.lastAnalysis = state.lastAnalysis;
    this.touch();
  }

  /**
   * What a task returned or failed with: its items become the checklist's (only its own; an item
   * that records a person's decision only with the launch's acceptance of it), its audit entries
   * join the log as entries of that task.
   */
  applyOutcome(expected: TaskId, outcome: TaskOutcome) {
    for (const [id, item] of Object.entries(outcome.checklist)) {
      if (!belongsTo(id, expected)) continue;
      this.checklist[id] = this.withApprovalChecked(id, item, expected);
    }
    for (const entry of outcome.audit)
      this.audit.push({
        ...boundAudit({
          actor: entry.actor,
          action: entry.action,
          outcome: entry.outcome,
          identity: entry.identity,
          via: entry.via,
          ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
          ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
        }),
        task: expected,
        at: entry.at,
        seq: this.audit.length + 1,
      });
    if (outcome.productionTouched) this.productionTouched = true;
    if (outcome.trafficPercent !== null) this.setTraffic(outcome.trafficPercent);
    this.endTask();
  }

  /**
   * The task ended without an outcome to read (terminated, timed out): nothing of it is
   * believed, and a task that may have changed production is assumed to have done so.
   */
  taskOutcomeUnknown(task: TaskId, reason: string) {
    this.record({ ...SYSTEM, action: 'taskOutcome', outcome: 'refused', task, reason });
    if (task === '5.3') this.productionTouched = true;
    this.endTask();
  }

  private withApprovalChecked(id: string, item: ItemState, task: TaskId): ItemState {
    const checked = checkApprovalItem(
      { ...item, id },
      task,
      this.accepted,
      this.plan,
      new Date().toISOString(),
    );
    if (checked.refusal)
      this.record({
        ...SYSTEM,
        action: 'taskOutcome',
        outcome: 'refused',
        task,
        reason: `${id}: ${checked.refusal}`,
      });
    return checked.item;
  }

  private endTask() {
    this.provisional = {};
    this.status.pendingApprovals = [];
    this.status.nextTimer = null;
    this.touch();
  }

  private shownChecklist(): ChecklistState {
    const shown: ChecklistState = { ...this.checklist };
    for (const [id, item] of Object.entries(this.provisional)) if (!shown[id]) shown[id] = item;
    return shown;
  }

  private touch() {
    this.status.updatedAt = new Date().toISOString();
  }
}

function belongsTo(id: string, task: TaskId): boolean {
  try {
    return catalogItem(id).task === task;
  } catch {
    return false;
  }
}
