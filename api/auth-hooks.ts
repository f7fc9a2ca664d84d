/**
 * Authentication, authorization, per-caller rate limits and `by` on every route, from the route's
 * `config.operation` (see `operations.ts`):
 *
 * 1. `onRequest`: public routes pass; others need `Authorization: Bearer <token>` (401 with
 *    `WWW-Authenticate: Bearer` otherwise) whose roles include the route's (403 otherwise). An
 *    unknown route needs a valid token before it is told it does not exist.
 * 2. `preValidation` (the body is parsed by then): mutating routes take one request from the
 *    caller's bucket (429 with `Retry-After`); on `actsAsCaller` routes a missing `by` becomes the
 *    caller and a `by` naming anyone else is refused (403), before anything reaches a launch.
 *
 * In dev mode (no tokens, not production) every request is accepted with every role, its subject
 * is the body's `by` (else `dev`), bodies pass unchanged, and every answer carries
 * `X-Launch-Control-Auth: dev-mode-no-auth`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  bearerToken,
  DEV_MODE_HEADER,
  DEV_MODE_HEADER_VALUE,
  DEV_SUBJECT,
  ROLES,
  rolesAllow,
  type Caller,
  type ResolvedAuth,
} from './auth.js';
import { ApiError, invalidRequest } from './errors.js';
import { RateLimiter } from './rate-limit.js';

const REALM = 'launch-control';

function unauthorized(message: string, invalidToken: boolean): ApiError {
  const challenge = invalidToken
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="the token is not valid"`
    : `Bearer realm="${REALM}"`;
  return new ApiError(401, 'unauthorized', message, {}, { 'www-authenticate': challenge });
}

function routeLabel(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function registerAuth(app: FastifyInstance, auth: ResolvedAuth): void {
  const limiter = auth.rateLimit ? new RateLimiter(auth.rateLimit) : null;
  app.decorateRequest('caller', null);

  app.addHook('onRequest', async (request, reply) => {
    if (auth.mode === 'dev') {
      reply.header(DEV_MODE_HEADER, DEV_MODE_HEADER_VALUE);
      request.caller = { subject: DEV_SUBJECT, roles: ROLES, via: 'dev-mode' };
      return;
    }
    const operation = request.routeOptions.config.operation;
    if (operation?.access === 'public') return;
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (!token)
      throw unauthorized(
        header
          ? 'the Authorization header is not "Bearer <token>"'
          : `${routeLabel(request)} needs a bearer token: send "Authorization: Bearer <token>"`,
        false,
      );
    const holder = auth.store.find(token);
    if (!holder) {
      request.log.warn({ route: routeLabel(request) }, 'auth: unknown bearer token');
      throw unauthorized('the bearer token is not valid', true);
    }
    request.caller = { subject: holder.subject, roles: holder.roles, via: 'token' };
    const needed = operation?.access;
    if (needed && !rolesAllow(holder.roles, needed)) {
      request.log.warn(
        { subject: holder.subject, roles: holder.roles, needed, route: routeLabel(request) },
        'auth: role refused',
      );
      throw new ApiError(
        403,
        'forbidden',
        `${routeLabel(request)} needs the ${needed} role; "${holder.subject}" has ${holder.roles.join(', ')}`,
        { requiredRole: needed },
      );
    }
  });

  app.addHook('preValidation', async (request) => {
    const operation = request.routeOptions.config.operation;
    const caller = request.caller;
    if (!operation || !caller) return;
    const body: unknown = request.body;

    if (caller.via === 'dev-mode') {
      // No identity to enforce: the body's claim is the subject (for rate limits and logs).
      const claimed = plainObject(body) ? body.by : undefined;
      if (typeof claimed === 'string' && claimed.length > 0 && claimed.length <= 120)
        request.caller = { ...caller, subject: claimed } satisfies Caller;
    }

    if (operation.mutating && limiter) {
      const subject = request.caller?.subject ?? caller.subject;
      const decision = limiter.take(subject);
      if (!decision.allowed) {
        request.log.warn({ subject, route: routeLabel(request) }, 'rate limited');
        throw new ApiError(
          429,
          'rate-limited',
          `too many requests from "${subject}" (limit ${limiter.config.max} per ${limiter.config.windowMs / 1000}s); retry in ${decision.retryAfterSeconds}s`,
          { retryAfterSeconds: decision.retryAfterSeconds },
          { 'retry-after': String(decision.retryAfterSeconds) },
        );
      }
    }

    if (operation.actsAsCaller && caller.via === 'token') {
      // Only an object can say who acts; anything else would reach the launch without the caller.
      if (!plainObject(body)) throw invalidRequest([{ path: '(body)', message: 'expected a JSON object' }]);
      if (body.by === undefined) {
        body.by = caller.subject;
      } else if (body.by !== caller.subject) {
        request.log.warn(
          { subject: caller.subject, claimedBy: body.by, route: routeLabel(request), params: request.params },
          'auth: refused a body acting as someone else',
        );
        throw new ApiError(
          403,
          'forbidden',
          `the body says "by": ${JSON.stringify(body.by)}, but the token belongs to "${caller.subject}": a request cannot act as someone else (leave "by" out; it is filled in from the token)`,
          {
            fields: [
              { path: 'by', message: `must be "${caller.subject}" (the token's subject) or left out` },
            ],
          },
        );
      }
    }
  });
}
