/**
 * The approvals a task waits for. Inside a launch the task acts only on what the launch accepted:
 * a `deliverApproval` signal merely wakes it, and it reads the launch's accepted approvals (its
 * query, through an activity) before it goes on. Run alone, the task decides approvals itself.
 */
import { condition, getExternalWorkflowHandle, isCancellation, setHandler } from '@temporalio/workflow';
import { claimedSender, decidePendingApproval } from '../domain/approvals.js';
import { APPROVAL_CODE_PATTERN, withoutCode } from '../domain/identity.js';
import type { AcceptedApproval, Identity, PendingApproval } from '../domain/launch-state.js';
import { examplePayload, type SignalName, type SignalPayloads } from '../domain/messages.js';
import { checks, READ_AGAIN_AFTER_MS, trustReads } from './activity-options.js';
import {
  approvalCodeSeenSignal,
  deliverApprovalSignal,
  publicSignals,
  SIGNAL_DESCRIPTIONS,
} from './messages.js';
import { recordApprovalWait } from './metrics.js';
import type { TaskRuntime } from './task-runtime.js';

/** An approval this task may act on: who, how proven, and the launch's audit entry for it. */
export type ApprovalReceived<K extends SignalName> = SignalPayloads[K] & {
  approval: { identity: Identity; auditSeq: number };
};

type Accepted = { key: string; payload: Record<string, unknown>; identity: Identity; auditSeq: number };

export class TaskApprovals {
  pending: PendingApproval[] = [];
  /** Standalone runs: approvals this task accepted itself, by the key of the request they answer. */
  private readonly accepted: Accepted[] = [];
  /** Wake-ups from the launch (their content is never read). */
  private deliveries = 0;
  /** Audit sequence numbers of the launch's acceptances already acted on. */
  private readonly used = new Set<number>();
  /** Reads of the launch's acceptances under way, and whether the last one failed. */
  private confirming = 0;
  private readFailed = false;
  /** Standalone runs: approval codes seen in any signal (each is good for one appearance). */
  private readonly spentCodes = new Set<string>();

  constructor(
    private readonly rt: TaskRuntime,
    names: SignalName[],
  ) {
    for (const name of names)
      setHandler(publicSignals[name], async (raw) => void (await this.receive(name, raw)), {
        description: SIGNAL_DESCRIPTIONS[name],
      });
    setHandler(deliverApprovalSignal, (raw) => this.wake(raw), {
      description: 'Internal: the launch accepted an approval for this task (read back from the launch)',
    });
  }

  /**
   * Waits for an accepted approval; `null` on timeout (the caller fails safe). While waiting it is
   * listed as pending, with the payload it expects; with `approvals.codes`, each approver first
   * gets a one-time code privately.
   */
  async awaitApproval<K extends SignalName>(
    name: K,
    opts: {
      approvers: string[];
      timeoutMs: number;
      stage?: number;
      /** A request a previous run opened (continue-as-new): reopened as it was, not asked again. */
      resume?: PendingApproval;
    },
  ): Promise<ApprovalReceived<K> | null> {
    const { rt } = this;
    if (opts.resume) return this.waitFor(opts.resume, opts.timeoutMs, true);
    const requestedAt = rt.now();
    const stageText = opts.stage === undefined ? '' : ` at ${opts.stage}%`;
    const entry: PendingApproval = {
      key: `${rt.task}/${name}${opts.stage === undefined ? '' : `/${opts.stage}`}/${requestedAt}`,
      signal: name,
      task: rt.task,
      approvers: opts.approvers,
      requestedAt,
      timeoutAt: new Date(Date.now() + opts.timeoutMs).toISOString(),
      expects: examplePayload(name, opts.stage === undefined ? {} : { stage: opts.stage }),
      ...(opts.stage === undefined ? {} : { stage: opts.stage }),
    };
    const title = `Approval needed: ${name}${stageText} for ${rt.plan.service} ${rt.plan.version}`;
    const where = `Send the signal "${name}" on launch ${rt.launchId} (Temporal UI → Send a Signal, or POST /launches/${rt.launchId}/signals/${name}) before ${entry.timeoutAt} with:\n${JSON.stringify(entry.expects)}`;
    const codesNote = rt.plan.approvals.codes ? await this.mintCodes(entry, title, where) : '';
    // Both awaited together: a cancel during the announcement must find the wait handled.
    const [answer] = await Promise.all([
      this.waitFor<K>(entry, opts.timeoutMs, false),
      rt.announce(
        title,
        `${opts.approvers.length ? `From: ${opts.approvers.join(', ')}. ` : ''}${where}${codesNote}`,
      ),
    ]);
    return answer;
  }

  /** No read of the launch's acceptances is under way (before a continue-as-new). */
  get settled(): boolean {
    return this.confirming === 0;
  }

  private async waitFor<K extends SignalName>(
    entry: PendingApproval,
    timeoutMs: number,
    resumed: boolean,
  ): Promise<ApprovalReceived<K> | null> {
    const { rt } = this;
    const name = entry.signal;
    this.pending = [...this.pending, entry];
    rt.show({ nextTimer: { what: `${name} approval timeout`, at: entry.timeoutAt } });
    const deadline = Date.now() + Math.max(1, timeoutMs);
    // Wake-ups are counted before each read, so one arriving during a read is not lost.
    let seen = this.deliveries;
    // A resumed request may have been answered while the previous run ended: ask the launch once.
    let answer: Accepted | null = resumed ? await this.confirmWithLaunch(entry) : null;
    while (!answer) {
      const left = deadline - Date.now();
      // After a failed read, read again soon even without a wake-up: the one wake-up came already.
      const wait = this.readFailed ? Math.min(left, READ_AGAIN_AFTER_MS) : left;
      const woke =
        left > 0 && (await condition(() => this.deliveries !== seen || this.hasAccepted(entry.key), wait));
      if (!woke && !(this.readFailed && left > READ_AGAIN_AFTER_MS)) break;
      seen = this.deliveries;
      answer = this.takeAccepted(entry.key) ?? (await this.confirmWithLaunch(entry));
    }
    this.pending = this.pending.filter((p) => p !== entry);
    rt.show({ nextTimer: null });
    recordApprovalWait(
      name,
      answer ? 'answered' : 'timeout',
      (Date.now() - Date.parse(entry.requestedAt)) / 1000,
    );
    if (!answer) return null;
    return {
      ...(answer.payload as SignalPayloads[K]),
      approval: { identity: answer.identity, auditSeq: answer.auditSeq },
    };
  }

  private async mintCodes(entry: PendingApproval, title: string, where: string): Promise<string> {
    try {
      const minted = await checks.mintApprovalCodes({
        integration: this.rt.plan.integrations.notifier,
        launchId: this.rt.launchId,
        pendingKey: entry.key,
        approvers: entry.approvers,
        title,
        text: where,
      });
      entry.codeHashes = minted.codeHashes;
      return minted.noPrivateChannel.length > 0
        ? `\nNo private channel for ${minted.noPrivateChannel.join(', ')}: they approve through the API.`
        : `\nEach approver got a one-time code privately; add it as "code".`;
    } catch (err) {
      this.rt.record({
        actor: 'launch-control',
        action: 'approvalCodes',
        outcome: 'refused',
        identity: 'system',
        via: 'workflow',
        reason: `no approval codes: ${(err as Error).message}`,
      });
      return '\nNo approval codes could be sent: approve through the API.';
    }
  }

  /** Inside a launch: the launch's acceptance of this very request, read from the launch itself. */
  private async confirmWithLaunch(entry: PendingApproval): Promise<Accepted | null> {
    const launchId = this.rt.parentLaunchId;
    if (!launchId) return null;
    this.confirming += 1;
    let approvals: AcceptedApproval[];
    try {
      approvals = await trustReads.readAcceptedApprovals({ launchId, task: this.rt.task });
    } catch (err) {
      // The launch could not be read (its worker down past the retries): not yet, read again
      // shortly until the timeout. A cancellation stops the wait.
      if (isCancellation(err)) throw err;
      this.readFailed = true;
      return null;
    } finally {
      this.confirming -= 1;
    }
    this.readFailed = false;
    const approval = approvals.find((a) => a.pendingKey === entry.key && !this.used.has(a.seq));
    if (!approval) return null;
    this.used.add(approval.seq);
    return { key: entry.key, payload: approval.payload, identity: approval.identity, auditSeq: approval.seq };
  }

  private hasAccepted(key: string) {
    return this.accepted.some((a) => a.key === key);
  }

  private takeAccepted(key: string): Accepted | null {
    const index = this.accepted.findIndex((a) => a.key === key);
    return index < 0 ? null : this.accepted.splice(index, 1)[0]!;
  }

  private wake(raw: unknown) {
    const auditSeq = (raw as { auditSeq?: unknown } | null)?.auditSeq;
    const wellFormed =
      !!raw && typeof raw === 'object' && Object.keys(raw).length === 1 && Number.isInteger(auditSeq);
    if (this.rt.hasParent && wellFormed) {
      this.deliveries += 1;
      return;
    }
    if (this.rt.hasParent) {
      // The launch sends only the sequence number of its acceptance: anything else is a forgery.
      this.rt.record({
        actor: claimedSender((raw as { payload?: unknown } | null)?.payload ?? raw),
        action: 'deliverApproval',
        outcome: 'refused',
        identity: 'claimed',
        via: 'signal',
        reason:
          'deliverApproval carries no approval: the task reads what the launch accepted from the launch itself',
      });
      return;
    }
    // Only a parent launch wakes a task this way: a standalone task decides its own approvals.
    this.rt.record({
      actor: claimedSender((raw as { payload?: unknown } | null)?.payload),
      action: 'deliverApproval',
      outcome: 'refused',
      identity: 'claimed',
      via: 'signal',
      reason: 'this task has no parent launch; send the approval itself',
    });
  }

  /**
   * A signal sent straight to this task. Run alone, the task decides and audits it. Inside a
   * launch it is refused (and audited): approvals go to the launch, which checks them once.
   */
  private async receive(name: SignalName, raw: unknown) {
    const refuse = (by: string, reason: string) => this.refuse(name, by, reason);
    const launchId = this.rt.parentLaunchId;
    const code = (raw as { code?: unknown } | null)?.code;
    const isCode = typeof code === 'string' && APPROVAL_CODE_PATTERN.test(code);
    if (launchId) {
      // The code is in this task's history now: the launch must not take it any more.
      if (isCode)
        void getExternalWorkflowHandle(launchId)
          .signal(approvalCodeSeenSignal, { code })
          .catch(() => undefined);
      return refuse(claimedSender(raw), `send ${name} to the launch ${launchId}, not to its task`);
    }
    if (isCode) {
      if (this.spentCodes.has(code)) return refuse(claimedSender(raw), 'this approval code was already used');
      this.spentCodes.add(code);
    }
    try {
      await this.decide(name, raw);
    } catch (err) {
      // A handler must never fail the workflow task (the identity check could not run): refuse.
      refuse(claimedSender(raw), `could not process: ${(err as Error).message}`);
    }
  }

  private refuse(name: SignalName, by: string, reason: string) {
    this.rt.record({
      actor: by,
      action: name,
      outcome: 'refused',
      identity: 'claimed',
      via: 'signal',
      reason,
    });
  }

  /** A standalone run's own decision on an approval sent to it. */
  private async decide(name: SignalName, raw: unknown) {
    const refuse = (by: string, reason: string) => this.refuse(name, by, reason);
    const decision = decidePendingApproval(name, raw, this.pending, this.rt.plan);
    if (!decision.accepted) return refuse(decision.by, decision.reason);
    const request = decision.pending!;
    const payload = decision.payload as Record<string, unknown>;
    const check = await trustReads.checkApprovalClaim({
      launchId: this.rt.launchId,
      pending: [request],
      name,
      payload,
    });
    // Decided meanwhile (a second approver, a timeout): this one answers nothing any more.
    if (!this.pending.includes(request) || this.hasAccepted(request.key))
      return refuse(String(payload.by), `no ${name} is awaited now`);
    if (check.forged) return refuse(String(payload.by), check.forged);
    if (check.identity !== 'verified' && this.rt.plan.approvals.requireVerifiedIdentity)
      return refuse(String(payload.by), VERIFIED_IDENTITY_REQUIRED);
    const auditSeq = this.rt.record({
      actor: String(payload.by),
      action: name,
      outcome: 'accepted',
      identity: check.identity,
      via: 'signal',
      detail: { payload: withoutCode(payload), identityDetail: check.identityDetail },
    });
    this.accepted.push({
      key: request.key,
      payload: withoutCode(payload),
      identity: check.identity,
      auditSeq,
    });
  }
}

export const VERIFIED_IDENTITY_REQUIRED =
  'this plan requires a verified identity: send it through the API with your token, or add the one-time approval code sent to you privately ("code")';
