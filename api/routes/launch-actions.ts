/**
 * Human actions on a launch: `POST /launches/:id/signals/:name` and `POST /launches/:id/abort`.
 * Sent through the `submitSignal` update, so the caller learns at once whether the workflow
 * accepted, with the same checks and audit entry as a signal from the Temporal UI.
 *
 * Aborting needs the operator role however it is sent: `/signals/abort` is its own route with the
 * abort's access, and the generic route refuses `abort` to a caller without that role too.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RefusalCode } from '../../domain/approvals.js';
import {
  abortSchema,
  examplePayload,
  isSignalName,
  SIGNAL_NAMES,
  SIGNAL_SCHEMAS,
  type SignalName,
} from '../../domain/messages.js';
import { planFieldErrors } from '../../domain/plan.js';
import type { IdentityProof } from '../../domain/identity.js';
import { signIdentityProof } from '../../worker/identity-proof.js';
import { submitSignalUpdate, type ApprovalOutcome } from '../../workflows/messages.js';
import { rolesAllow } from '../auth.js';
import type { ApiContext } from '../context.js';
import { ApiError, conflict, invalidRequest, notFound, parseOr400, type FieldError } from '../errors.js';
import { describeLaunch, launchHasEnded, launchIdParams } from '../launch-handles.js';
import { callerBody, type Operation, type ResponseDoc } from '../operations.js';
import { errorSchema, signalAcceptedSchema, signalRefusedSchema, validationErrorSchema } from '../schemas.js';

const signalParams = launchIdParams.extend({
  name: z
    .string()
    .max(100)
    .meta({
      description: `the signal: ${SIGNAL_NAMES.join(', ')} (others are a 404)`,
      examples: SIGNAL_NAMES,
    }),
});

/** The API's examples: each signal's `examplePayload`, without `by` (the token says who acts). */
function exampleWithoutBy(name: SignalName) {
  const { by: _by, ...rest } = examplePayload(name);
  return rest;
}

const signalBody = z.union(
  SIGNAL_NAMES.map((name) => callerBody(SIGNAL_SCHEMAS[name]).meta({ title: name })) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
);

const actionResponses = (role: string): Record<number, ResponseDoc> => ({
  202: { description: 'The launch accepted it.', schema: signalAcceptedSchema, name: 'SignalAccepted' },
  400: {
    description:
      'The payload is malformed (the launch refused it and recorded that in its audit log), or the launch id is.',
    schema: z.union([signalRefusedSchema, validationErrorSchema]),
  },
  403: {
    description: `The plan does not let the caller send this (refused and audited by the launch), the token lacks the ${role} role, or the body names someone else as \`by\`.`,
    schema: z.union([signalRefusedSchema, errorSchema]),
  },
  404: { description: 'No launch with this id, or no such signal.', schema: errorSchema, name: 'Error' },
  409: {
    description: 'The launch is not awaiting this now (refused and audited), or it has ended.',
    schema: z.union([signalRefusedSchema, errorSchema]),
  },
});

const sendSignalOperation: Operation = {
  operationId: 'sendSignal',
  summary: 'Send an approval, override, review or abort to a launch',
  description:
    'Goes through the launch’s `submitSignal` update, so the answer says at once whether the launch accepted it, with the same checks and audit entry as a signal from the Temporal UI. The payload depends on `name` (the examples show one per signal). `abort` needs the **operator** role: it is answered by `POST /launches/{id}/signals/abort`.',
  tag: 'approvals',
  access: 'approver',
  actsAsCaller: true,
  mutating: true,
  params: signalParams,
  body: {
    schema: signalBody,
    name: 'SignalPayload',
    description: 'The payload of the signal named in the path (`domain/messages.ts`).',
    examples: Object.fromEntries(
      SIGNAL_NAMES.map((name) => [name, { summary: `signals/${name}`, value: exampleWithoutBy(name) }]),
    ),
  },
  responses: actionResponses('approver'),
};

const abortOperation: Operation = {
  operationId: 'abortLaunch',
  summary: 'Abort a launch and roll back',
  description:
    'The `abort` action: the launch stops, and when production was touched puts it back (traffic to stable, previous version, freeze lifted, people told). The caller must be in the plan’s rollback authority or one of its owners.',
  tag: 'approvals',
  access: 'operator',
  actsAsCaller: true,
  mutating: true,
  params: launchIdParams,
  body: {
    schema: callerBody(abortSchema),
    name: 'AbortRequest',
    examples: { abort: { summary: 'abort', value: exampleWithoutBy('abort') } },
  },
  responses: actionResponses('operator'),
};

/** `signals/abort`: the abort under its signal's name, with the abort's access (operator). */
const abortSignalOperation: Operation = {
  ...abortOperation,
  operationId: 'sendAbortSignal',
  summary: 'Send the abort signal (the same as POST /launches/{id}/abort)',
};

/** The operator role for `abort`, whichever route a request reached. */
function requireOperatorForAbort(request: FastifyRequest, name: string): void {
  const caller = request.caller;
  if (name !== 'abort' || (caller && rolesAllow(caller.roles, 'operator'))) return;
  throw new ApiError(
    403,
    'forbidden',
    `the abort signal needs the operator role; "${caller?.subject ?? 'the caller'}" has ${caller?.roles.join(', ') || 'none'}`,
    { requiredRole: 'operator' },
  );
}

const REFUSAL_STATUS: Record<
  RefusalCode,
  { status: number; error: z.infer<typeof signalRefusedSchema>['error'] }
> = {
  invalid: { status: 400, error: 'invalid-request' },
  forbidden: { status: 403, error: 'forbidden' },
  conflict: { status: 409, error: 'conflict' },
};

async function submitToLaunch(
  client: Client,
  launchId: string,
  name: SignalName,
  payload: unknown,
  proof: IdentityProof | undefined,
): Promise<ApprovalOutcome> {
  try {
    return await client.workflow
      .getHandle(launchId)
      .executeUpdate(submitSignalUpdate, { args: [{ name, payload, ...(proof ? { proof } : {}) }] });
  } catch (err) {
    // The server answers "not found" for a closed workflow too: tell the two apart.
    if (err instanceof WorkflowNotFoundError) {
      if (await launchHasEnded(client, launchId))
        throw conflict(`launch "${launchId}" has ended`, { launchId });
      throw notFound(`no launch with id "${launchId}"`);
    }
    // A workflow of another type under this id has no `submitSignal` handler: not a launch (404).
    if (err instanceof WorkflowUpdateFailedError) await describeLaunch(client, launchId);
    // A body Temporal cannot encode (JSON nested thousands of levels deep: the payload converter's
    // JSON.stringify runs out of stack) never reaches the launch: the caller's mistake, not a 500.
    if (err instanceof ValueError)
      throw invalidRequest([
        { path: '(payload)', message: 'cannot be sent to the launch (nested too deeply?)' },
      ]);
    throw err;
  }
}

/** Checks the payload here (for a 400 naming every field) and still forwards it: the launch audits every refusal. */
async function sendAction(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  launchId: string,
  name: SignalName,
  payload: unknown,
) {
  const local = SIGNAL_SCHEMAS[name].safeParse(payload);
  const fields: FieldError[] = local.success ? [] : planFieldErrors(local.error);
  const outcome = await submitToLaunch(
    ctx.client,
    launchId,
    name,
    payload,
    proveCaller(ctx, request, launchId, name, payload),
  );
  if (outcome.accepted)
    return reply.code(202).send({
      accepted: true,
      launchId,
      signal: name,
      auditSeq: outcome.auditSeq,
    } satisfies z.infer<typeof signalAcceptedSchema>);
  const { status, error } = REFUSAL_STATUS[outcome.code];
  return reply.code(status).send({
    error,
    message: outcome.reason,
    ...(status === 400
      ? { fields: fields.length > 0 ? fields : [{ path: '(payload)', message: outcome.reason }] }
      : {}),
    accepted: false,
    reason: outcome.reason,
    auditSeq: outcome.auditSeq,
  } satisfies z.infer<typeof signalRefusedSchema>);
}

/**
 * The API's proof to the launch that the token's subject sent this: a MAC over the exact request
 * with the key the worker shares (the workflow audits it `verified`). None in dev mode, where no
 * token proved anyone, or without a key.
 */
function proveCaller(
  ctx: ApiContext,
  request: FastifyRequest,
  launchId: string,
  name: SignalName,
  payload: unknown,
): IdentityProof | undefined {
  const caller = request.caller;
  if (!ctx.identityKey || caller?.via !== 'token' || !payload || typeof payload !== 'object')
    return undefined;
  const { code: _code, ...signed } = payload as Record<string, unknown>;
  return signIdentityProof(ctx.identityKey, { launchId, name, payload: signed }, caller.subject);
}

export const launchActionRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.post(
    '/launches/:id/signals/:name',
    { config: { operation: sendSignalOperation } },
    async (request, reply) => {
      const { id, name } = parseOr400(signalParams, request.params);
      if (!isSignalName(name))
        throw notFound(`unknown signal "${name}"; known: ${SIGNAL_NAMES.join(', ')}`, {
          signals: SIGNAL_NAMES,
        });
      // The router sends every spelling of `abort` (even percent-encoded) to its own route; this
      // keeps the rule should that ever change.
      requireOperatorForAbort(request, name);
      return sendAction(ctx, request, reply, id, name, request.body);
    },
  );

  const abort = async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = parseOr400(launchIdParams, request.params);
    return sendAction(ctx, request, reply, id, 'abort', request.body);
  };
  app.post('/launches/:id/abort', { config: { operation: abortOperation } }, abort);
  app.post('/launches/:id/signals/abort', { config: { operation: abortSignalOperation } }, abort);
};
