/**
 * Proof of who sent a human action, for actions that arrive through messages anyone with signal
 * rights on the namespace could also send. Two proofs exist (docs/security.md):
 * - the API's: a MAC over the exact request with a key only the API and the worker hold;
 * - an approval code: one-time, minted when an approval is requested and sent privately to each
 *   eligible approver; the workflow holds only a keyed hash of it.
 * Pure: the messages here are what the API signs and what the worker checks, byte for byte.
 */
import { z } from 'zod';

/** How old an API proof may be when the worker checks it (clock skew and queueing included). */
export const IDENTITY_PROOF_MAX_AGE_MS = 5 * 60_000;

export const identityProofSchema = z
  .object({
    subject: z.string().min(1).max(120),
    issuedAt: z.iso.datetime({ offset: true }),
    nonce: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
    mac: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type IdentityProof = z.infer<typeof identityProofSchema>;

/** One-time approval codes: 10 characters of RFC 4648 base32, easy to read out and type. */
export const APPROVAL_CODE_PATTERN = /^[A-Z2-7]{10}$/;
export const approvalCode = z
  .string()
  .regex(APPROVAL_CODE_PATTERN, 'the 10-character approval code sent to you privately');

/** JSON with object keys sorted at every level, so both sides MAC the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export type ProvenRequest = { launchId: string; name: string; payload: unknown };

/** The bytes the API's MAC covers: the launch, the action, the payload, who and when. */
export function identityProofMessage(
  request: ProvenRequest,
  proof: Pick<IdentityProof, 'subject' | 'issuedAt' | 'nonce'>,
): string {
  return canonicalJson([
    'launch-control/identity-proof/v1',
    request.launchId,
    request.name,
    request.payload,
    proof.subject,
    proof.issuedAt,
    proof.nonce,
  ]);
}

/** The bytes an approval code's keyed hash covers: one code answers one request of one person. */
export function approvalCodeMessage(
  request: { launchId: string; pendingKey: string; approver: string },
  code: string,
) {
  return canonicalJson([
    'launch-control/approval-code/v1',
    request.launchId,
    request.pendingKey,
    request.approver,
    code,
  ]);
}

/** An approval's payload without its code: what is audited and handed to the task. */
export function withoutCode<T extends Record<string, unknown>>(payload: T): Omit<T, 'code'> {
  const { code: _code, ...rest } = payload;
  return rest;
}
