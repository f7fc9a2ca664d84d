/**
 * The key the API and the worker share to prove identities to workflows (docs/security.md): the
 * API MACs what it authenticated, the worker checks the MAC and hashes approval codes with it.
 * The key stays in these two processes: never in workflow history, logs or plans.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  approvalCodeMessage,
  identityProofMessage,
  type IdentityProof,
  type ProvenRequest,
} from '../domain/identity.js';

export const IDENTITY_KEY_ENV = 'LAUNCH_CONTROL_IDENTITY_KEY';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A key of at least 32 bytes, base64. Throws with a message naming the variable otherwise. */
export function parseIdentityKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length < 32 || key.toString('base64').replace(/=+$/, '') !== text.trim().replace(/=+$/, ''))
    throw new Error(
      `${IDENTITY_KEY_ENV}: expected the base64 of at least 32 random bytes (openssl rand -base64 32)`,
    );
  return key;
}

export function identityKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const text = env[IDENTITY_KEY_ENV];
  return text && text.trim() !== '' ? parseIdentityKey(text) : null;
}

const hmac = (key: Buffer, message: string) => createHmac('sha256', key).update(message).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The API's proof that `subject` (its token's subject) sent this request. */
export function signIdentityProof(
  key: Buffer,
  request: ProvenRequest,
  subject: string,
  now = new Date(),
): IdentityProof {
  const claims = { subject, issuedAt: now.toISOString(), nonce: randomUUID() };
  return { ...claims, mac: hmac(key, identityProofMessage(request, claims)) };
}

export function identityProofMatches(key: Buffer, request: ProvenRequest, proof: IdentityProof): boolean {
  return sameHex(hmac(key, identityProofMessage(request, proof)), proof.mac);
}

/** A fresh one-time approval code (50 bits of randomness). */
export function mintApprovalCode(): string {
  return [...randomBytes(10)].map((byte) => BASE32[byte & 31]).join('');
}

export function hashApprovalCode(
  key: Buffer,
  request: { launchId: string; pendingKey: string; approver: string },
  code: string,
): string {
  return hmac(key, approvalCodeMessage(request, code));
}

export function approvalCodeMatches(
  key: Buffer,
  request: { launchId: string; pendingKey: string; approver: string },
  code: string,
  expectedHash: string,
): boolean {
  return sameHex(hashApprovalCode(key, request, code), expectedHash);
}
