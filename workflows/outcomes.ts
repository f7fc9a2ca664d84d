/** Every human action ends as an audited outcome: accepted or refused, with its sequence number. */
import type { RefusalCode } from '../domain/approvals.js';
import type { AuditInput, AuditEntry, Identity } from '../domain/launch-state.js';
import type { ApprovalOutcome } from './messages.js';

export type RecordAudit = (entry: AuditInput) => number;
type Action = { actor: string; action: string; via: AuditEntry['via']; identity?: Identity };

export function refused(
  record: RecordAudit,
  a: Action & { reason: string; code: RefusalCode },
): ApprovalOutcome {
  const auditSeq = record({
    actor: a.actor,
    action: a.action.slice(0, 100),
    outcome: 'refused',
    identity: a.identity ?? 'claimed',
    via: a.via,
    reason: a.reason,
  });
  return { accepted: false, reason: a.reason, code: a.code, auditSeq };
}

export function accepted(
  record: RecordAudit,
  a: Action & Pick<AuditInput, 'task' | 'reason' | 'detail'>,
): ApprovalOutcome {
  const { actor, action, via, identity = 'claimed', ...rest } = a;
  return {
    accepted: true,
    auditSeq: record({ actor, action, outcome: 'accepted', identity, via, ...rest }),
  };
}
