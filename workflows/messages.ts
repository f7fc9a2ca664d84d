/**
 * Every signal, query and update of Launch Control, with the description the Temporal UI shows.
 * Imported by workflows, the API and tests; `define*` is safe outside the workflow sandbox.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChecklistState, ItemUpdate } from '../domain/checklist.js';
import type { AuditEntry, AuditInput, LaunchStatus, PendingApproval } from '../domain/launch-state.js';
import type { ThresholdResult } from '../domain/analysis.js';
import type { TaskId } from '../domain/checklist-catalog.js';
import type { SignalName } from '../domain/messages.js';
import type { RefusalCode } from '../domain/approvals.js';

/** Public signals take `unknown`: a payload typed into the UI is checked, never trusted. */
export const publicSignals = {
  goNoGo: defineSignal<[unknown]>('goNoGo'),
  metricsReview: defineSignal<[unknown]>('metricsReview'),
  abort: defineSignal<[unknown]>('abort'),
  freezeOverride: defineSignal<[unknown]>('freezeOverride'),
  onCallAck: defineSignal<[unknown]>('onCallAck'),
  postLaunchReview: defineSignal<[unknown]>('postLaunchReview'),
} satisfies Record<SignalName, unknown>;

export const SIGNAL_DESCRIPTIONS: Record<SignalName, string> = {
  goNoGo:
    'Go/no-go decision after the readiness review. JSON: {"by": "<approver>", "decision": "go" | "no-go", "comment": "…"}',
  metricsReview:
    'Metrics review at a traffic stage. JSON: {"by": "<approver>", "stage": 10, "verdict": "proceed" | "abort", "comment": "…"}',
  abort: 'Abort the launch and roll back. JSON: {"by": "<rollback authority or owner>", "reason": "…"}',
  freezeOverride:
    'Allow one config change during the freeze. JSON: {"by": "<override approver>", "reason": "…", "change": "<change id>"}',
  onCallAck: 'The person on call confirms the heightened-monitoring watch. JSON: {"by": "<person on call>"}',
  postLaunchReview:
    'Post-launch review. JSON: {"by": "<review owner>", "issues": [], "improvements": ["…"], "lessons": "…", "runbooksUrl": "…", "architectureDocsUrl": "…", "actionItems": [{"title": "…", "owner": "…", "due": "2026-12-31"}]}',
};

export type ApprovalOutcome =
  | { accepted: true; auditSeq: number }
  | { accepted: false; reason: string; code: RefusalCode; auditSeq: number };

/** The API's way to send a signal and learn at once whether it was accepted (same checks, same audit). */
export const submitSignalUpdate = defineUpdate<ApprovalOutcome, [{ name: string; payload: unknown }]>(
  'submitSignal',
);

export type ConfigChangeAnswer = { launchId: string; allowed: boolean; reason: string; auditSeq: number };
/** Freeze gate: may this production config change go ahead now? */
export const requestConfigChangeUpdate = defineUpdate<ConfigChangeAnswer, [unknown]>('requestConfigChange');

export const statusQuery = defineQuery<LaunchStatus>('status');
export const checklistQuery = defineQuery<ChecklistState>('checklist');
export const auditQuery = defineQuery<AuditEntry[]>('audit');
/** A task workflow's live analysis (the parent's status points at the running task). */
export const analysisQuery = defineQuery<{ at: string; results: ThresholdResult[] } | null>('analysis');

/** Internal: a task workflow reports to its parent launch. */
export type TaskProgress = {
  task: TaskId;
  items?: ItemUpdate[];
  audit?: (AuditInput & { at: string })[];
  /** Replaces the task's pending approvals when present. */
  pending?: PendingApproval[];
  trafficPercent?: number;
  /** The task is about to change production (deploy or traffic). */
  productionTouched?: true;
  nextTimer?: { what: string; at: string } | null;
  lastAnalysis?: { at: string; results: ThresholdResult[] };
};
export const taskProgressSignal = defineSignal<[TaskProgress]>('taskProgress');

/** Internal: the parent hands an approval it already checked and audited to the waiting task. */
export const deliverApprovalSignal =
  defineSignal<[{ name: SignalName; payload: unknown }]>('deliverApproval');
