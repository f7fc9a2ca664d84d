/** What a launch reports about itself: phases, audit entries, pending approvals, status. */
import type { ThresholdResult } from './analysis.js';
import type { TaskId } from './checklist-catalog.js';
import type { SignalName } from './messages.js';

export const ACTIVE_PHASES = [
  'READINESS',
  'LOCKDOWN',
  'ROLLBACK_DRILL',
  'TRAFFIC',
  'MONITORING',
  'REVIEW',
] as const;
export const TERMINAL_PHASES = ['LIVE', 'ABORTED', 'ROLLED_BACK', 'FAILED'] as const;
export type ActivePhase = (typeof ACTIVE_PHASES)[number];
export type TerminalPhase = (typeof TERMINAL_PHASES)[number];
export type Phase = 'STARTING' | ActivePhase | 'ROLLING_BACK' | TerminalPhase;

export const PHASE_OF_TASK: Record<Exclude<TaskId, 'completion'>, ActivePhase> = {
  '5.1': 'READINESS',
  '5.2': 'LOCKDOWN',
  '5.3': 'TRAFFIC',
  '5.4': 'ROLLBACK_DRILL',
  '5.5': 'MONITORING',
  '5.6': 'REVIEW',
};

export type AuditEntry = {
  seq: number;
  at: string;
  /** Who acted: a person's name, or `launch-control` for the engine itself. */
  actor: string;
  action: string;
  outcome: 'accepted' | 'refused' | 'recorded';
  /**
   * `claimed`: a name typed into a signal, not proven; `verified`: proven by the API's MAC over the
   * request or by a one-time approval code (docs/security.md); `system`: the engine itself.
   */
  identity: Identity;
  via: 'signal' | 'update' | 'workflow';
  task?: TaskId;
  reason?: string;
  detail?: Record<string, unknown>;
};

export type AuditInput = Omit<AuditEntry, 'seq' | 'at'>;

export type Identity = 'claimed' | 'verified' | 'system';

export type PendingApproval = {
  /** Names this one request: an acceptance is tied to it, so it answers this request and no other. */
  key: string;
  signal: SignalName;
  task: TaskId;
  /** Who may answer; empty when decided at run time (on-call). */
  approvers: string[];
  requestedAt: string;
  timeoutAt: string;
  stage?: number;
  expects: Record<string, unknown>;
  /** Keyed hashes of the one-time approval codes sent privately to each approver (never the codes). */
  codeHashes?: Record<string, string>;
};

/** An approval the launch accepted: what its tasks may act on, and nothing else. */
export type AcceptedApproval = {
  seq: number;
  name: SignalName;
  task: TaskId;
  pendingKey: string;
  by: string;
  identity: Identity;
  payload: Record<string, unknown>;
  stage?: number;
};

/** Why a launch stopped short of LIVE. */
export type AbortCause =
  | 'threshold-breach'
  | 'inconclusive-limit'
  /** A breach or no-data run still open when a window's follow-up slots ran out. */
  | 'analysis-unsettled'
  | 'operator-abort'
  | 'no-go'
  | 'approval-timeout'
  | 'monitoring-breach'
  | 'check-failed'
  | 'activity-failed'
  | 'launch-window-closed'
  | 'invalid-plan'
  /** Another launch of the service runs in the same production environment (`domain/service-lock.ts`). */
  | 'launch-conflict';

export type AbortInfo = { cause: AbortCause; detail: string; by?: string; task?: TaskId; at: string };

export type LaunchStatus = {
  launchId: string;
  service: string;
  version: string;
  previousVersion: string;
  phase: Phase;
  task: TaskId | null;
  trafficPercent: number;
  pendingApprovals: PendingApproval[];
  startedAt: string;
  updatedAt: string;
  /** The running child workflow, queryable for live analysis. */
  activeTaskWorkflowId: string | null;
  nextTimer: { what: string; at: string } | null;
  lastAnalysis: { at: string; results: ThresholdResult[] } | null;
  abort: AbortInfo | null;
  /** Compensation steps run, in order, with their outcome. */
  compensations: { step: string; status: 'done' | 'failed'; attempts: number; detail?: string }[];
  checklist: {
    total: number;
    pending: number;
    running: number;
    passed: number;
    failed: number;
    skipped: number;
  };
};
