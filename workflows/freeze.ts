/**
 * The config freeze, held by the workflow that registered it (the launch, or a standalone
 * lockdown). The freeze gate (API `POST /freeze/requests`, and the lockdown's own probe) finds
 * launches by search attribute and asks them through the `requestConfigChange` update; the
 * answer and every override are audited.
 */
import { setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { parseSignalPayload } from '../domain/approvals.js';
import { accepted, refused, type RecordAudit } from './outcomes.js';
import { authorizedSenders, configChangeRequestSchema, describePayloadErrors } from '../domain/messages.js';
import type { Identity } from '../domain/launch-state.js';
import type { LaunchPlan } from '../domain/plan.js';
import { claimedSender } from '../domain/approvals.js';
import { requestConfigChangeUpdate, type ApprovalOutcome, type ConfigChangeAnswer } from './messages.js';
import { LAUNCH_FREEZE_ACTIVE } from './search-attributes.js';

export class FreezeDesk {
  active = false;
  /** Changes an override approver allowed, each usable once. */
  private readonly overrides = new Map<string, string>();
  /**
   * Resolves at `freezeWindow.end` (workflow time), once the freeze has been lifted; rejects if
   * the holder is cancelled first. Set by `activate`.
   */
  windowEnd: Promise<void> | undefined;

  constructor(
    private readonly plan: LaunchPlan,
    private readonly launchId: string,
    private readonly record: RecordAudit,
  ) {
    setHandler(requestConfigChangeUpdate, (raw) => this.decideChange(raw), {
      description:
        'Freeze gate: may this production config change go ahead? JSON: {"by", "change", "reason"?}',
    });
  }

  activate() {
    this.active = true;
    upsertSearchAttributes([{ key: LAUNCH_FREEZE_ACTIVE, value: true }]);
    this.record({
      actor: 'launch-control',
      action: 'freeze-registered',
      outcome: 'recorded',
      identity: 'system',
      via: 'workflow',
      detail: { freezeWindow: this.plan.freezeWindow },
    });
    // The freeze ends with its window, not with its holder: a launch may wait days for its review.
    const ended = sleep(Math.max(1, Date.parse(this.plan.freezeWindow.end) - Date.now()));
    this.windowEnd = ended.then(() => this.lift('freeze window ended'));
    // A cancelled holder lifts the freeze on its own way out (compensation, lockdown failure).
    this.windowEnd.catch(() => undefined);
  }

  lift(reason: string) {
    if (!this.active) return;
    this.active = false;
    upsertSearchAttributes([{ key: LAUNCH_FREEZE_ACTIVE, value: false }]);
    this.record({
      actor: 'launch-control',
      action: 'freeze-lifted',
      outcome: 'recorded',
      identity: 'system',
      via: 'workflow',
      reason,
    });
  }

  /**
   * `freezeOverride`: an override approver allows one named change while the freeze holds. The
   * launch established `identity` (and refused what the plan does not take) before.
   */
  override(raw: unknown, via: 'signal' | 'update', identity: Identity = 'claimed'): ApprovalOutcome {
    const parsed = parseSignalPayload('freezeOverride', raw);
    const action = 'freezeOverride';
    if (!parsed.accepted)
      return refused(this.record, {
        actor: parsed.by,
        action,
        via,
        reason: parsed.reason,
        code: parsed.code,
      });
    const payload = parsed.payload as { by: string; change: string; reason: string };
    const allowed = authorizedSenders(this.plan, 'freezeOverride');
    if (!allowed.includes(payload.by))
      return refused(this.record, {
        actor: payload.by,
        action,
        via,
        reason: `${payload.by} may not override the freeze; allowed: ${allowed.join(', ')}`,
        code: 'forbidden',
      });
    if (identity !== 'verified' && this.plan.approvals.requireVerifiedIdentity)
      return refused(this.record, {
        actor: payload.by,
        action,
        via,
        reason: 'this plan requires a verified identity: send it through the API with your token',
        code: 'forbidden',
      });
    if (!this.active)
      return refused(this.record, {
        actor: payload.by,
        action,
        via,
        reason: 'no freeze is active',
        code: 'conflict',
      });
    this.overrides.set(payload.change, payload.by);
    return accepted(this.record, {
      actor: payload.by,
      action,
      via,
      identity,
      detail: { change: payload.change, reason: payload.reason },
    });
  }

  private decideChange(raw: unknown): ConfigChangeAnswer {
    const parsed = configChangeRequestSchema.safeParse(raw);
    const answer = (
      allowed: boolean,
      by: string,
      reason: string,
      detail?: { change: string },
    ): ConfigChangeAnswer => ({
      launchId: this.launchId,
      allowed,
      reason,
      auditSeq: this.record({
        actor: by,
        action: 'configChangeRequest',
        outcome: allowed ? 'accepted' : 'refused',
        identity: 'claimed',
        via: 'update',
        reason,
        ...(detail ? { detail } : {}),
      }),
    });
    if (!parsed.success)
      return answer(false, claimedSender(raw), `malformed request: ${describePayloadErrors(parsed.error)}`);
    const { by, change } = parsed.data;
    if (!this.active) return answer(true, by, 'no freeze is active', { change });
    const approver = this.overrides.get(change);
    if (!approver)
      return answer(
        false,
        by,
        `config freeze until ${this.plan.freezeWindow.end}; needs a freezeOverride for "${change}"`,
        { change },
      );
    this.overrides.delete(change);
    return answer(true, by, `override by ${approver}`, { change });
  }
}
