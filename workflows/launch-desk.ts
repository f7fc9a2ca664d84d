/**
 * The launch's message handlers: every human action (signal from the UI or CLI, update from the
 * API) is a claim that is checked here (payload, plan, what the running task awaits, who provably
 * sent it) and audited, accepted or refused, never a failed workflow task. Also reads the running
 * task's live state when the task prompts it.
 */
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import {
  claimedSender,
  decidePendingApproval,
  parseSignalPayload,
  signalNameForAudit,
} from '../domain/approvals.js';
import { APPROVAL_CODE_PATTERN, IDENTITY_PROOF_MAX_AGE_MS, withoutCode } from '../domain/identity.js';
import type { Identity, Phase } from '../domain/launch-state.js';
import { authorizedSenders, isSignalName, SIGNAL_NAMES, type SignalName } from '../domain/messages.js';
import type { LaunchPlan } from '../domain/plan.js';
import type { AbortDetails } from './abort.js';
import { READ_AGAIN_AFTER_MS, trustReads } from './activity-options.js';
import type { FreezeDesk } from './freeze.js';
import type { LaunchBook } from './launch-book.js';
import {
  deliverApprovalSignal,
  publicSignals,
  SIGNAL_DESCRIPTIONS,
  submitSignalUpdate,
  approvalCodeSeenSignal,
  taskProgressSignal,
  type ApprovalOutcome,
} from './messages.js';
import { accepted, refused } from './outcomes.js';
import { VERIFIED_IDENTITY_REQUIRED } from './task-approvals.js';
import { refuseUnhandledSignals } from './unhandled-signals.js';

type Via = 'signal' | 'update';
type Payload = Record<string, unknown> & { by: string };
type Sender = { identity: Identity; identityDetail: string };
type Refusal = { refusal: string; forged: boolean };

const ABORTABLE_PHASES: Phase[] = [
  'STARTING',
  'READINESS',
  'LOCKDOWN',
  'ROLLBACK_DRILL',
  'TRAFFIC',
  'MONITORING',
];

export class LaunchDesk {
  abortRequest: AbortDetails | null = null;
  /** Nonces of API proofs already used, with when they can be forgotten (the proof has expired). */
  private readonly usedNonces = new Map<string, number>();
  /** Approval codes seen in any signal (each is good for one appearance). */
  private readonly spentCodes = new Set<string>();
  private taskStateWanted = false;

  constructor(
    private readonly plan: LaunchPlan,
    private readonly launchId: string,
    private readonly book: LaunchBook,
    private readonly freeze: FreezeDesk,
    /** Called once an abort is accepted: cancel what runs. */
    private readonly onAbort: () => void,
  ) {
    for (const name of SIGNAL_NAMES)
      setHandler(publicSignals[name], async (raw) => void (await this.dispatch(name, raw, 'signal')), {
        description: SIGNAL_DESCRIPTIONS[name],
      });
    // Unknown names (and Temporal's reserved `__temporal_…`) are audited as refused, never a failed task.
    refuseUnhandledSignals((name, raw) => void this.dispatch(name, raw, 'signal'));
    setHandler(
      submitSignalUpdate,
      (req) => this.dispatch(String(req?.name), req?.payload, 'update', req?.proof),
      {
        description:
          'Send a signal and learn whether it was accepted. JSON: {"name": "<signal>", "payload": {…}}',
      },
    );
    setHandler(
      approvalCodeSeenSignal,
      (raw) => void this.spendCode((raw as { code?: unknown } | null)?.code),
      {
        description: 'Internal: a task was sent an approval code; it is spent (sending one only spends it)',
      },
    );
    setHandler(taskProgressSignal, (raw) => this.prompted(raw), {
      description: 'Internal: the running task asks the launch to read its state',
    });
    // Not cancellable: a cancel of the launch (Temporal UI) must not leave this loop's wait rejected
    // with nobody to catch it; the launch reads no task after its last one anyway.
    void CancellationScope.nonCancellable(() => this.readTaskStateWhenPrompted()).catch(() => undefined);
  }

  private record = (entry: Parameters<LaunchBook['record']>[0]) => this.book.record(entry);

  async dispatch(name: string, raw: unknown, via: Via, proof?: unknown): Promise<ApprovalOutcome> {
    // Proofs and codes are spent by their first appearance, whatever becomes of the message: once
    // in history, anyone who reads it has seen them.
    const spent = this.spendOnSight(raw, proof);
    if (spent)
      return refused(this.record, {
        actor: claimedSender(raw),
        action: signalNameForAudit(name),
        via,
        reason: spent,
        code: 'forbidden',
      });
    try {
      if (name === 'abort') return await this.abort(raw, via, proof);
      if (name === 'freezeOverride') return await this.freezeOverride(raw, via, proof);
      if (isSignalName(name)) return await this.approval(name, raw, via, proof);
      const action = signalNameForAudit(name);
      const reason = `unknown signal "${action}"; known: ${SIGNAL_NAMES.join(', ')}`;
      return refused(this.record, { actor: '(unknown)', action, via, reason, code: 'invalid' });
    } catch (err) {
      // A handler must never fail the workflow task: record and refuse.
      const reason = `could not process: ${err instanceof Error ? err.message : String(err)}`;
      return refused(this.record, {
        actor: '(unknown)',
        action: signalNameForAudit(name),
        via,
        reason,
        code: 'invalid',
      });
    }
  }

  /** goNoGo, metricsReview, onCallAck, postLaunchReview: accepted only for a request the running task has open. */
  private async approval(name: SignalName, raw: unknown, via: Via, proof: unknown): Promise<ApprovalOutcome> {
    const parsed = parseSignalPayload(name, raw);
    if (!parsed.accepted)
      return refused(this.record, {
        actor: parsed.by,
        action: name,
        via,
        reason: parsed.reason,
        code: parsed.code,
      });
    const payload = parsed.payload as Payload;
    const refuse = (reason: string, code: 'forbidden' | 'conflict', identity?: Identity) =>
      refused(this.record, {
        actor: payload.by,
        action: name,
        via,
        reason,
        code,
        ...(identity ? { identity } : {}),
      });
    if (name !== 'onCallAck') {
      const allowed = authorizedSenders(this.plan, name);
      if (!allowed.includes(payload.by))
        return refuse(`${payload.by} may not send ${name}; allowed: ${allowed.join(', ')}`, 'forbidden');
    }
    const taskWorkflowId = this.book.status.activeTaskWorkflowId;
    if (!taskWorkflowId) return refuse(`no ${name} is awaited now`, 'conflict');
    const check = await trustReads.checkApprovalClaim({
      launchId: this.launchId,
      taskWorkflowId,
      name,
      // As received: the API's MAC covers the body it sent, before any trimming by the schema.
      payload: raw as Record<string, unknown>,
      ...(proof === undefined ? {} : { proof }),
    });
    if (this.book.status.activeTaskWorkflowId !== taskWorkflowId)
      return refuse(`no ${name} is awaited now`, 'conflict');
    const open = (check.pending ?? []).filter((p) => !this.book.accepted.some((a) => a.pendingKey === p.key));
    const decision = decidePendingApproval(name, payload, open, this.plan);
    if (!decision.accepted)
      return refuse(decision.reason, decision.code === 'forbidden' ? 'forbidden' : 'conflict');
    const sender = this.sender(check);
    if ('refusal' in sender) return refuse(sender.refusal, 'forbidden');
    const request = decision.pending!;
    const auditSeq = this.book.accept(
      {
        name,
        task: request.task,
        pendingKey: request.key,
        by: payload.by,
        identity: sender.identity,
        payload: withoutCode(payload),
        ...(request.stage === undefined ? {} : { stage: request.stage }),
      },
      via,
      sender.identityDetail,
    );
    // Only a wake-up: the task reads this acceptance back from the launch before it acts.
    void getExternalWorkflowHandle(taskWorkflowId)
      .signal(deliverApprovalSignal, { auditSeq })
      .catch(() => undefined);
    return { accepted: true, auditSeq };
  }

  private async abort(raw: unknown, via: Via, proof: unknown): Promise<ApprovalOutcome> {
    const parsed = parseSignalPayload('abort', raw);
    if (!parsed.accepted)
      return refused(this.record, {
        actor: parsed.by,
        action: 'abort',
        via,
        reason: parsed.reason,
        code: parsed.code,
      });
    const { by, reason } = parsed.payload as { by: string; reason: string };
    const refuse = (why: string, code: 'forbidden' | 'conflict') =>
      refused(this.record, { actor: by, action: 'abort', via, reason: why, code });
    const allowed = authorizedSenders(this.plan, 'abort');
    if (!allowed.includes(by))
      return refuse(`${by} may not abort; allowed: ${allowed.join(', ')}`, 'forbidden');
    const sender = await this.identify('abort', raw, proof);
    // An abort is a safety action: a claimed one is taken (and audited as claimed) under every plan.
    if ('refusal' in sender && sender.forged) return refuse(sender.refusal, 'forbidden');
    if (this.abortRequest || !ABORTABLE_PHASES.includes(this.book.status.phase))
      return refuse(`nothing to abort in phase ${this.book.status.phase}`, 'conflict');
    this.abortRequest = { cause: 'operator-abort', detail: reason, by };
    this.onAbort();
    const identity = 'refusal' in sender ? 'claimed' : sender.identity;
    return accepted(this.record, { actor: by, action: 'abort', via, reason, identity });
  }

  private async freezeOverride(raw: unknown, via: Via, proof: unknown): Promise<ApprovalOutcome> {
    const parsed = parseSignalPayload('freezeOverride', raw);
    if (parsed.accepted) {
      const sender = await this.identify('freezeOverride', raw, proof);
      if ('refusal' in sender)
        return refused(this.record, {
          actor: (parsed.payload as Payload).by,
          action: 'freezeOverride',
          via,
          // An override carries no code: only the API can prove who sent it.
          reason: sender.forged
            ? sender.refusal
            : 'this plan requires a verified identity: send the override through the API with your token',
          code: 'forbidden',
        });
      return this.freeze.override(raw, via, sender.identity);
    }
    return this.freeze.override(raw, via, 'claimed');
  }

  /** Who sent an action that no task request covers (abort, freeze override): API proof, or a claim. */
  private async identify(name: SignalName, raw: unknown, proof: unknown): Promise<Sender | Refusal> {
    if (proof === undefined)
      return this.sender({ identity: 'claimed', identityDetail: 'no proof: a name typed into a signal' });
    const check = await trustReads.checkApprovalClaim({
      launchId: this.launchId,
      taskWorkflowId: null,
      name,
      // As received: the API's MAC covers the body it sent, before any trimming by the schema.
      payload: raw as Record<string, unknown>,
      proof,
    });
    return this.sender(check);
  }

  /**
   * Spends the nonce of an API proof and an approval code on first sight; returns the refusal of a
   * second sight. Nobody can spend someone else's in advance: a nonce is a random UUID the API
   * makes, a code is minted privately, and both reach history only with their first use.
   */
  private spendOnSight(raw: unknown, proof: unknown): string | null {
    const nonce = (proof as { nonce?: unknown } | null | undefined)?.nonce;
    if (typeof nonce === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(nonce)) {
      const now = Date.now();
      for (const [seen, until] of this.usedNonces) if (until < now) this.usedNonces.delete(seen);
      if (this.usedNonces.has(nonce)) return 'this identity proof was already used';
      this.usedNonces.set(nonce, now + 2 * IDENTITY_PROOF_MAX_AGE_MS);
    }
    if (this.spendCode((raw as { code?: unknown } | null | undefined)?.code))
      return 'this approval code was already used; approve through the API';
    return null;
  }

  /**
   * Spends a code seen anywhere (here, or by a task it was sent to by mistake); true when it had
   * been spent before.
   */
  private spendCode(code: unknown): boolean {
    if (typeof code !== 'string' || !APPROVAL_CODE_PATTERN.test(code)) return false;
    if (this.spentCodes.has(code)) return true;
    this.spentCodes.add(code);
    return false;
  }

  /** The identity to audit, or why the action is refused: a forged proof or code, or a claim the plan does not take. */
  private sender(check: { identity: Identity; identityDetail: string; forged?: string }): Sender | Refusal {
    if (check.forged) return { refusal: check.forged, forged: true };
    if (check.identity !== 'verified' && this.plan.approvals.requireVerifiedIdentity)
      return { refusal: VERIFIED_IDENTITY_REQUIRED, forged: false };
    return { identity: check.identity, identityDetail: check.identityDetail };
  }

  /**
   * A prompt from the running task. Its content is never believed: the launch reads the task's own
   * query. Our tasks send only their task id, so a payload with anything more is a forgery.
   */
  private prompted(raw: unknown) {
    const fields = raw && typeof raw === 'object' ? Object.keys(raw) : ['(not an object)'];
    const extra = fields.filter((k) => k !== 'task');
    if (extra.length > 0) {
      refused(this.record, {
        actor: '(unknown)',
        action: 'taskProgress',
        via: 'signal',
        reason: `taskProgress carries no evidence: the launch reads its tasks itself (ignored: ${extra.slice(0, 10).join(', ')})`,
        code: 'invalid',
      });
      return;
    }
    this.taskStateWanted = true;
  }

  /** One read at a time; prompts arriving meanwhile are served by one more read. */
  private async readTaskStateWhenPrompted() {
    for (;;) {
      await condition(() => this.taskStateWanted && this.book.status.activeTaskWorkflowId !== null);
      this.taskStateWanted = false;
      const workflowId = this.book.status.activeTaskWorkflowId!;
      try {
        const state = await trustReads.readTaskState({ workflowId, launchId: this.launchId });
        if (state && workflowId === this.book.status.activeTaskWorkflowId) this.book.showTaskState(state);
      } catch {
        // Not read (its worker down longer than the retries): read again shortly, or the pending
        // approvals people answer from would stay stale until the task's next change.
        this.taskStateWanted = true;
        await sleep(READ_AGAIN_AFTER_MS);
      }
    }
  }
}
