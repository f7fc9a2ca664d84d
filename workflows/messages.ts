/**
 * Every signal, query and update of Launch Control, with the description the Temporal UI shows.
 * Imported by workflows, the API and tests; `define*` is safe outside the workflow sandbox.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChecklistState } from '../domain/checklist.js';
import type {
  AcceptedApproval,
  AuditEntry,
  AuditInput,
  LaunchStatus,
  PendingApproval,
} from '../domain/launch-state.js';
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
    'Go/no-go decision after the readiness review. JSON: {"by": "<approver>", "decision": "go" | "no-go", "comment": "…", "code": "<one-time code, if sent to you>"}',
  metricsReview:
    'Metrics review at a traffic stage. JSON: {"by": "<approver>", "stage": 10, "verdict": "proceed" | "abort", "comment": "…", "code": "<one-time code, if sent to you>"}',
  abort: 'Abort the launch and roll back. JSON: {"by": "<rollback authority or owner>", "reason": "…"}',
  freezeOverride:
    'Allow one config change during the freeze. JSON: {"by": "<override approver>", "reason": "…", "change": "<change id>"}',
  onCallAck:
    'The person on call confirms the heightened-monitoring watch. JSON: {"by": "<person on call>", "code": "<one-time code, if sent to you>"}',
  postLaunchReview:
    'Post-launch review. JSON: {"by": "<review owner>", "issues": [], "improvements": ["…"], "lessons": "…", "runbooksUrl": "…", "architectureDocsUrl": "…", "actionItems": [{"title": "…", "owner": "…", "due": "2026-12-31"}]}',
};

export type ApprovalOutcome =
  | { accepted: true; auditSeq: number }
  | { accepted: false; reason: string; code: RefusalCode; auditSeq: number };

/**
 * The API's way to send a signal and learn at once whether it was accepted (same checks, same
 * audit). `proof`: the API's MAC of who its token proved (checked by the worker, docs/security.md).
 */
export const submitSignalUpdate = defineUpdate<
  ApprovalOutcome,
  [{ name: string; payload: unknown; proof?: unknown }]
>('submitSignal');

export type ConfigChangeAnswer = { launchId: string; allowed: boolean; reason: string; auditSeq: number };
/** Freeze gate: may this production config change go ahead now? */
export const requestConfigChangeUpdate = defineUpdate<ConfigChangeAnswer, [unknown]>('requestConfigChange');

export const statusQuery = defineQuery<LaunchStatus>('status');
export const checklistQuery = defineQuery<ChecklistState>('checklist');
export const auditQuery = defineQuery<AuditEntry[]>('audit');
/** A task workflow's live analysis (the parent's status points at the running task). */
export const analysisQuery = defineQuery<{ at: string; results: ThresholdResult[] } | null>('analysis');

/**
 * What a task workflow is doing now, answered by its own code: the launch reads it (through an
 * activity) to show live progress and to learn which approvals are awaited. A query, because
 * nobody but the task's code can answer it, where anyone with signal rights can send a signal.
 */
export type TaskState = {
  task: TaskId;
  checklist: ChecklistState;
  pending: PendingApproval[];
  /** The canary share the router read back last, while this task moves traffic. */
  trafficPercent: number | null;
  /** The task has started changing production (deploy or traffic). */
  productionTouched: boolean;
  nextTimer: { what: string; at: string } | null;
  lastAnalysis: { at: string; results: ThresholdResult[] } | null;
};
export const taskStateQuery = defineQuery<TaskState>('taskState');

/**
 * What a task hands back to its launch, in its result or in the details of its failure: Temporal
 * reports those, nobody can send them. The launch's checklist and audit take a task's items and
 * entries from here only.
 */
export type TaskOutcome = {
  task: TaskId;
  checklist: ChecklistState;
  audit: (AuditInput & { at: string })[];
  productionTouched: boolean;
  trafficPercent: number | null;
};
export type WithOutcome<T> = T & { outcome: TaskOutcome };

/** The approvals a launch accepted, which its tasks read (through an activity) before acting. */
export const acceptedApprovalsQuery = defineQuery<AcceptedApproval[]>('acceptedApprovals');

/**
 * Internal: "my state changed, read it". Carries nothing the launch believes: it reads the
 * task's own query. A payload with more than the task id is a forgery and is refused.
 */
export const taskProgressSignal = defineSignal<[unknown]>('taskProgress');

/**
 * Internal: "an approval for you was accepted". Carries nothing the task believes: it reads the
 * launch's accepted approvals before it acts.
 */
export const deliverApprovalSignal = defineSignal<[unknown]>('deliverApproval');

/**
 * Internal: a task inside a launch was sent an approval code (by mistake, it goes to the launch):
 * the launch spends it, since it is now in history. Forging one only spends a code.
 */
export const approvalCodeSeenSignal = defineSignal<[unknown]>('approvalCodeSeen');
