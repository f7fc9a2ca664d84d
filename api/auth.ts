/**
 * Who may call the API (DESIGN §10): bearer tokens, each naming a subject and its roles.
 *
 * - `operator` starts launches, aborts them and asks the freeze gate; `approver` sends the
 *   approval signals; `viewer` reads. Operators and approvers can read too (both imply viewer);
 *   neither implies the other.
 * - Tokens come from `LAUNCH_CONTROL_TOKENS_FILE` (JSON or YAML) and/or `LAUNCH_CONTROL_TOKENS`
 *   (JSON): `[{ subject, role | roles, tokenSha256 | token }]`. Prefer `tokenSha256` (the hex
 *   SHA-256 of the token): the file then holds nothing a reader could call the API with.
 * - A presented token is hashed and compared with every stored hash with `timingSafeEqual`.
 * - No tokens configured: **dev mode** outside production (every request accepted with every
 *   role, loudly announced), a refusal to start with `NODE_ENV=production`.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { person } from '../domain/plan.js';
import { DEFAULT_RATE_LIMIT, parseRateLimit, type RateLimitConfig } from './rate-limit.js';

export const ROLES = ['operator', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What holding a role lets a caller do besides: operators and approvers can read. */
const IMPLIED: Record<Role, readonly Role[]> = {
  operator: ['operator', 'viewer'],
  approver: ['approver', 'viewer'],
  viewer: ['viewer'],
};

export function rolesAllow(held: readonly Role[], needed: Role): boolean {
  return held.some((role) => IMPLIED[role].includes(needed));
}

/** One caller's token, as kept in memory: never the token itself. */
export type ApiToken = { subject: string; roles: Role[]; tokenSha256: string };

export type AuthConfig = {
  /** Who may call. Empty: dev mode outside production, a refusal to start in production. */
  tokens: ApiToken[];
  /** Per-subject limit on the mutating routes; `false` turns it off. Default 60 per minute. */
  rateLimit?: RateLimitConfig | false;
  /** Production refuses to run without tokens. Default: `process.env.NODE_ENV === 'production'`. */
  production?: boolean;
};

export const TOKENS_FILE_ENV = 'LAUNCH_CONTROL_TOKENS_FILE';
export const TOKENS_ENV = 'LAUNCH_CONTROL_TOKENS';
export const RATE_LIMIT_ENV = 'LAUNCH_CONTROL_RATE_LIMIT';

/** The response header every dev-mode answer carries. */
export const DEV_MODE_HEADER = 'x-launch-control-auth';
export const DEV_MODE_HEADER_VALUE = 'dev-mode-no-auth';
/** Who a dev-mode request is when its body names nobody. */
export const DEV_SUBJECT = 'dev';

export const MIN_TOKEN_LENGTH = 32;

/** Hex SHA-256 of a token: what a tokens file stores (`printf %s "$TOKEN" | sha256sum`). */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Compares two secrets' bytes in time independent of where they differ. Different lengths are
 * unequal (still after a constant-time comparison, so the length is all that leaks; callers
 * compare fixed-length SHA-256 digests, so not even that).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    crypto.timingSafeEqual(a, a);
    return false;
  }
  return crypto.timingSafeEqual(a, b);
}

const roleSchema = z.enum(ROLES);
const tokenEntrySchema = z
  .object({
    subject: person,
    role: roleSchema.optional(),
    roles: z.array(roleSchema).min(1).optional(),
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'the hex SHA-256 of the token (64 hex digits)')
      .optional(),
    token: z.string().min(MIN_TOKEN_LENGTH, `at least ${MIN_TOKEN_LENGTH} characters`).max(4096).optional(),
  })
  .strict()
  .refine((e) => (e.role === undefined) !== (e.roles === undefined), {
    message: 'give "role" or "roles" (one of them)',
    path: ['roles'],
  })
  .refine((e) => (e.token === undefined) !== (e.tokenSha256 === undefined), {
    message: 'give "tokenSha256" (preferred) or "token" (one of them)',
    path: ['tokenSha256'],
  });
const tokenListSchema = z.array(tokenEntrySchema);
export type TokenEntry = z.input<typeof tokenEntrySchema>;

/** Checks a parsed tokens list (from a file or the environment); `source` names it in errors. */
export function parseTokenEntries(raw: unknown, source: string): ApiToken[] {
  const parsed = tokenListSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(
      `${source}: invalid tokens list (${problems}); expected [{ subject, role, tokenSha256 }]`,
    );
  }
  return parsed.data.map((e) => ({
    subject: e.subject,
    roles: [...new Set(e.roles ?? (e.role ? [e.role] : []))],
    tokenSha256: (e.tokenSha256 ?? hashToken(e.token ?? '')).toLowerCase(),
  }));
}

/**
 * The auth configuration from the environment: `LAUNCH_CONTROL_TOKENS_FILE` (JSON or YAML),
 * `LAUNCH_CONTROL_TOKENS` (JSON; both may be set, their tokens add up), `LAUNCH_CONTROL_RATE_LIMIT`
 * (`60/1m`, `off`) and `NODE_ENV`. A variable that is set but yields no token is an error, never
 * a silent fall-back to dev mode.
 */
export function loadAuthFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const tokens: ApiToken[] = [];
  const file = env[TOKENS_FILE_ENV]?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${TOKENS_FILE_ENV}=${file}: cannot read it (${(err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = YAML.parse(text);
    } catch (err) {
      throw new Error(`${TOKENS_FILE_ENV}=${file}: not JSON or YAML (${(err as Error).message})`);
    }
    const fromFile = parseTokenEntries(raw, `${TOKENS_FILE_ENV}=${file}`);
    if (fromFile.length === 0) throw new Error(`${TOKENS_FILE_ENV}=${file}: lists no tokens`);
    tokens.push(...fromFile);
  }
  const inline = env[TOKENS_ENV]?.trim();
  if (inline) {
    let raw: unknown;
    try {
      raw = JSON.parse(inline);
    } catch (err) {
      throw new Error(`${TOKENS_ENV}: not JSON (${(err as Error).message})`);
    }
    const fromEnv = parseTokenEntries(raw, TOKENS_ENV);
    if (fromEnv.length === 0) throw new Error(`${TOKENS_ENV}: lists no tokens`);
    tokens.push(...fromEnv);
  }
  const rateLimit = env[RATE_LIMIT_ENV]?.trim() ? parseRateLimit(env[RATE_LIMIT_ENV] ?? '') : undefined;
  return {
    tokens,
    ...(rateLimit === undefined ? {} : { rateLimit }),
    production: env.NODE_ENV === 'production',
  };
}

/** A stored token, its digest as bytes for the comparison. */
type StoredToken = { subject: string; roles: readonly Role[]; digest: Buffer };

/** Finds the token a caller presented, comparing its digest with every stored one. */
export class TokenStore {
  private readonly stored: StoredToken[];

  constructor(tokens: readonly ApiToken[]) {
    this.stored = tokens.map((t) => {
      if (!/^[0-9a-fA-F]{64}$/.test(t.tokenSha256))
        throw new Error(`token of "${t.subject}": tokenSha256 must be 64 hex digits`);
      if (t.roles.length === 0) throw new Error(`token of "${t.subject}": no role`);
      return { subject: t.subject, roles: [...t.roles], digest: Buffer.from(t.tokenSha256, 'hex') };
    });
    const seen = new Set<string>();
    for (const t of tokens) {
      const key = t.tokenSha256.toLowerCase();
      if (seen.has(key)) throw new Error(`token of "${t.subject}" is configured twice`);
      seen.add(key);
    }
  }

  get size(): number {
    return this.stored.length;
  }

  subjects(): string[] {
    return [...new Set(this.stored.map((t) => t.subject))];
  }

  /** The token's holder, or null. Every stored digest is compared (no early exit). */
  find(presented: string): { subject: string; roles: readonly Role[] } | null {
    const digest = crypto.createHash('sha256').update(presented, 'utf8').digest();
    let match: StoredToken | null = null;
    for (const token of this.stored) if (constantTimeEqual(digest, token.digest)) match = token;
    return match ? { subject: match.subject, roles: match.roles } : null;
  }
}

export type ResolvedAuth =
  | { mode: 'tokens'; store: TokenStore; rateLimit: RateLimitConfig | false }
  | { mode: 'dev'; rateLimit: RateLimitConfig | false };

/** Thrown when the API would run without authentication in production. */
export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

/** What `buildApp` runs with; throws in production without tokens. */
export function resolveAuth(
  config: AuthConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedAuth {
  const production = config?.production ?? env.NODE_ENV === 'production';
  const rateLimit = config?.rateLimit ?? DEFAULT_RATE_LIMIT;
  const tokens = config?.tokens ?? [];
  if (tokens.length > 0) return { mode: 'tokens', store: new TokenStore(tokens), rateLimit };
  if (production)
    throw new AuthConfigError(
      `refusing to start the API without authentication in production (NODE_ENV=production): configure bearer tokens with ${TOKENS_FILE_ENV} (a JSON/YAML file) or ${TOKENS_ENV} (JSON), e.g. [{"subject":"alice","role":"operator","tokenSha256":"<sha256 of the token>"}]`,
    );
  return { mode: 'dev', rateLimit };
}

/** Who is calling, as the routes see it. */
export type Caller = {
  subject: string;
  roles: readonly Role[];
  /** `token`: proven by a bearer token; `dev-mode`: no authentication at all (the body's claim). */
  via: 'token' | 'dev-mode';
};

/** The bearer token of an `Authorization` header (RFC 6750 §2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
