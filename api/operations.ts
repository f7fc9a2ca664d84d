/**
 * What each route declares about itself, in its `config.operation`: who may call it and what it
 * takes and answers, with the zod schemas the handler validates with. Authentication reads
 * `access` and `actsAsCaller`; the OpenAPI document is generated from the same declarations. A
 * route registered without one makes `buildApp` throw, so no route goes undocumented or unguarded.
 */
import type { z } from 'zod';
import { person } from '../domain/plan.js';
import type { Caller, Role } from './auth.js';

/** `public`: no token needed; a role: a token whose roles include (or imply) it. */
export type Access = 'public' | Role;

export type JsonSchema = Record<string, unknown>;

export type MediaContent = {
  /** The zod schema of the body (converted to JSON Schema), or a raw JSON Schema for non-JSON bodies. */
  schema?: z.ZodType | JsonSchema;
  example?: unknown;
};

export type ResponseDoc = {
  description: string;
  /** Names the body schema in `components.schemas` (and refers to it) instead of inlining it. */
  name?: string;
  /** A JSON body of this schema; use `content` for other media types. */
  schema?: z.ZodType;
  content?: Record<string, MediaContent>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
};

export type BodyDoc = {
  /** The schema the request body is checked against (input side: defaults may be left out). */
  schema: z.ZodType;
  name: string;
  description?: string;
  examples: Record<string, { summary?: string; value: unknown }>;
};

export type Operation = {
  operationId: string;
  summary: string;
  description?: string;
  tag: 'launches' | 'approvals' | 'freeze' | 'health' | 'documentation' | 'codec';
  access: Access;
  /**
   * The body's `by` is the caller: a missing `by` is filled in with the token's subject, a `by`
   * naming anyone else is refused with 403 before anything reaches the launch.
   */
  actsAsCaller?: boolean;
  /** Every mutating route is rate limited per caller. */
  mutating?: boolean;
  /** A POST that changes nothing (the payload codec): not `mutating`, so not rate limited. */
  sideEffectFree?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: BodyDoc;
  /** The route's own answers; the shared ones (401, 403, 429, 500, body errors) are added. */
  responses: Record<number, ResponseDoc>;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    operation?: Operation;
  }
  interface FastifyRequest {
    /** Set by the auth hook; null on public routes in token mode. */
    caller: Caller | null;
  }
}

/** Fastify's `:param` path as an OpenAPI path template. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const BY_DESCRIPTION =
  'Who acts: always the caller. Leave it out (it is filled in from the token); naming anyone else is refused with 403.';

/** A payload as the API takes it: `by` may be left out, since the token says who acts. */
export function callerBody<S extends z.ZodObject>(schema: S) {
  return schema.extend({ by: person.optional().meta({ description: BY_DESCRIPTION }) });
}
