/**
 * Deciding whether a human action is accepted: the payload is well-formed, something is waiting
 * for it, and the sender may send it. Pure, so the parent launch, a standalone task workflow and
 * the tests all decide the same way.
 */
import type { AuditInput, PendingApproval } from './launch-state.js';
import {
  SIGNAL_SCHEMAS,
  authorizedSenders,
  describePayloadErrors,
  isSignalName,
  type SignalName,
  type SignalPayloads,
} from './messages.js';
import type { LaunchPlan } from './plan.js';

export type ApprovalDecision<K extends SignalName = SignalName> =
  | { accepted: true; name: K; payload: SignalPayloads[K]; pending: PendingApproval | null }
  | { accepted: false; name: string; by: string; reason: string; code: RefusalCode };

/** Why an action was refused, for API status codes: invalid → 400, forbidden → 403, conflict → 409. */
export type RefusalCode = 'invalid' | 'forbidden' | 'conflict';

/** Longest actor, action and reason an audit entry keeps (longer ones are cut, marked with `…`). */
export const AUDIT_LIMITS = { actor: 120, action: 100, reason: 2_000 } as const;

/** Cuts a string to `max` characters (UTF-16 units), marking the cut with `…`. */
export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/**
 * An audit entry with its free text bounded: whatever a caller types into a signal (a 1 MB name,
 * ten thousand unknown keys) is recorded in a few KiB, so the launch's state and history stay small.
 * `detail` holds only payloads the schemas already bounded.
 */
export function boundAudit<T extends AuditInput>(entry: T): T {
  return {
    ...entry,
    actor: truncate(String(entry.actor), AUDIT_LIMITS.actor),
    action: truncate(String(entry.action), AUDIT_LIMITS.action),
    ...(entry.reason === undefined ? {} : { reason: truncate(String(entry.reason), AUDIT_LIMITS.reason) }),
  };
}

/** A signal name as the audit log shows it: any string a caller chose, cut to a sane length. */
export function signalNameForAudit(name: unknown): string {
  return truncate(String(name), AUDIT_LIMITS.action);
}

/** Best-effort sender of a payload that may be malformed, for the audit log. */
export function claimedSender(raw: unknown): string {
  const by = raw && typeof raw === 'object' ? (raw as { by?: unknown }).by : undefined;
  return typeof by === 'string' && by.length > 0 ? truncate(by, AUDIT_LIMITS.actor) : '(unknown)';
}

export function parseSignalPayload(name: string, raw: unknown): ApprovalDecision {
  if (!isSignalName(name))
    return {
      accepted: false,
      name,
      by: claimedSender(raw),
      reason: `unknown signal "${signalNameForAudit(name)}"`,
      code: 'invalid',
    };
  const parsed = SIGNAL_SCHEMAS[name].safeParse(raw);
  if (!parsed.success)
    return {
      accepted: false,
      name,
      by: claimedSender(raw),
      reason: `malformed payload: ${describePayloadErrors(parsed.error)}`,
      code: 'invalid',
    };
  return { accepted: true, name, payload: parsed.data, pending: null } as ApprovalDecision;
}

/**
 * For approvals a task waits for (goNoGo, metricsReview, onCallAck, postLaunchReview): accepted
 * only from someone the plan allows (checked first, so a stranger is always "forbidden"), while
 * one is pending (for the same stage), and from one of that request's approvers.
 */
export function decidePendingApproval(
  name: string,
  raw: unknown,
  pending: PendingApproval[],
  plan?: LaunchPlan,
): ApprovalDecision {
  const parsed = parseSignalPayload(name, raw);
  if (!parsed.accepted) return parsed;
  const payload = parsed.payload as { by: string; stage?: number };
  if (plan && parsed.name !== 'onCallAck') {
    const allowed = authorizedSenders(plan, parsed.name);
    if (!allowed.includes(payload.by))
      return {
        accepted: false,
        name,
        by: payload.by,
        reason: `${payload.by} may not send ${name}; allowed: ${allowed.join(', ')}`,
        code: 'forbidden',
      };
  }
  const waiting = pending.filter((p) => p.signal === name);
  if (waiting.length === 0)
    return { accepted: false, name, by: payload.by, reason: `no ${name} is awaited now`, code: 'conflict' };
  const match = waiting.find((p) => p.stage === undefined || p.stage === payload.stage);
  if (!match) {
    const stages = waiting.map((p) => p.stage).join(', ');
    return {
      accepted: false,
      name,
      by: payload.by,
      reason: `stage ${payload.stage} is not awaiting review (awaiting: ${stages})`,
      code: 'conflict',
    };
  }
  if (match.approvers.length > 0 && !match.approvers.includes(payload.by))
    return {
      accepted: false,
      name,
      by: payload.by,
      reason: `${payload.by} may not send ${name}; allowed: ${match.approvers.join(', ')}`,
      code: 'forbidden',
    };
  return { ...parsed, pending: match };
}
