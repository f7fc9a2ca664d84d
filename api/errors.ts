/**
 * The API's one error mapping. Routes throw; this turns what they throw into the JSON every
 * client can rely on: `{ error, message }`, plus `fields` naming every bad field on a 400.
 * Unexpected errors are logged and answered with a generic 500 (no stack, no internals).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { planFieldErrors, type PlanFieldError } from '../domain/plan.js';

export type FieldError = PlanFieldError;

/** An error a route means to answer with: status, machine-readable code, message, extra body fields. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
    /** Response headers that belong to the error (`WWW-Authenticate`, `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function invalidRequest(fields: FieldError[], extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, 'invalid-request', describeFields(fields), { fields, ...extra });
}

export const notFound = (message: string, extra: Record<string, unknown> = {}) =>
  new ApiError(404, 'not-found', message, extra);
export const conflict = (message: string, extra: Record<string, unknown> = {}) =>
  new ApiError(409, 'conflict', message, extra);

export function describeFields(fields: FieldError[]): string {
  const shown = fields.slice(0, 10).map((f) => `${f.path}: ${f.message}`);
  const more = fields.length > shown.length ? `; and ${fields.length - shown.length} more` : '';
  return `invalid request (${fields.length} field${fields.length === 1 ? '' : 's'}): ${shown.join('; ')}${more}`;
}

/** Parses with a zod schema; a failure becomes a 400 naming every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidRequest(planFieldErrors(parsed.error));
}

function isFastifyClientError(err: unknown): err is FastifyError & { statusCode: number } {
  const e = err as Partial<FastifyError> | null;
  return (
    !!e &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  );
}

const FASTIFY_CODES: Record<number, string> = {
  400: 'invalid-request',
  404: 'not-found',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError)
      return reply
        .code(err.statusCode)
        .headers(err.headers)
        .send({ error: err.code, message: err.message, ...err.body });
    if (err instanceof z.ZodError) {
      const fields = planFieldErrors(err);
      return reply.code(400).send({ error: 'invalid-request', message: describeFields(fields), fields });
    }
    if (err instanceof WorkflowNotFoundError) {
      return reply.code(404).send({ error: 'not-found', message: `no launch with id "${err.workflowId}"` });
    }
    if (isFastifyClientError(err)) {
      // Body parsing (bad JSON, empty body, too large, wrong content type): the client's mistake.
      const code = FASTIFY_CODES[err.statusCode] ?? 'bad-request';
      const body: Record<string, unknown> = { error: code, message: err.message };
      if (err.statusCode === 400) body.fields = [{ path: '(body)', message: err.message }];
      return reply.code(err.statusCode).send(body);
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal server error; see the server log' });
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({
      error: 'not-found',
      message: `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`,
    }),
  );
}
