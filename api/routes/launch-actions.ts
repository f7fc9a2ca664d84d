/**
 * Human actions on a launch: `POST /launches/:id/signals/:name` and `POST /launches/:id/abort`.
 * Sent through the `submitSignal` update, so the caller learns at once whether the workflow
 * accepted, with the same checks and audit entry as a signal from the Temporal UI.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { RefusalCode } from '../../domain/approvals.js';
import { isSignalName, SIGNAL_NAMES, SIGNAL_SCHEMAS, type SignalName } from '../../domain/messages.js';
import { planFieldErrors } from '../../domain/plan.js';
import { submitSignalUpdate, type ApprovalOutcome } from '../../workflows/messages.js';
import type { ApiContext } from '../context.js';
import { conflict, notFound, parseOr400, type FieldError } from '../errors.js';
import { describeLaunch, launchHasEnded, launchIdParams } from '../launch-handles.js';

const signalParams = launchIdParams.extend({ name: z.string().max(100) });

const REFUSAL_STATUS: Record<RefusalCode, { status: number; error: string }> = {
  invalid: { status: 400, error: 'invalid-request' },
  forbidden: { status: 403, error: 'forbidden' },
  conflict: { status: 409, error: 'conflict' },
};

async function submitToLaunch(
  client: Client,
  launchId: string,
  name: SignalName,
  payload: unknown,
): Promise<ApprovalOutcome> {
  try {
    return await client.workflow
      .getHandle(launchId)
      .executeUpdate(submitSignalUpdate, { args: [{ name, payload }] });
  } catch (err) {
    // The server answers "not found" for a closed workflow too: tell the two apart.
    if (err instanceof WorkflowNotFoundError) {
      if (await launchHasEnded(client, launchId))
        throw conflict(`launch "${launchId}" has ended`, { launchId });
      throw notFound(`no launch with id "${launchId}"`);
    }
    // A workflow of another type under this id has no `submitSignal` handler: not a launch (404).
    if (err instanceof WorkflowUpdateFailedError) await describeLaunch(client, launchId);
    throw err;
  }
}

/** Checks the payload here (for a 400 naming every field) and still forwards it: the launch audits every refusal. */
async function sendAction(
  client: Client,
  reply: FastifyReply,
  launchId: string,
  name: SignalName,
  payload: unknown,
) {
  const local = SIGNAL_SCHEMAS[name].safeParse(payload);
  const fields: FieldError[] = local.success ? [] : planFieldErrors(local.error);
  const outcome = await submitToLaunch(client, launchId, name, payload);
  if (outcome.accepted)
    return reply.code(202).send({ accepted: true, launchId, signal: name, auditSeq: outcome.auditSeq });
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
  });
}

export const launchActionRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.post('/launches/:id/signals/:name', async (request, reply) => {
    const { id, name } = parseOr400(signalParams, request.params);
    if (!isSignalName(name))
      throw notFound(`unknown signal "${name}"; known: ${SIGNAL_NAMES.join(', ')}`, {
        signals: SIGNAL_NAMES,
      });
    return sendAction(client, reply, id, name, request.body);
  });

  app.post('/launches/:id/abort', async (request, reply) => {
    const { id } = parseOr400(launchIdParams, request.params);
    return sendAction(client, reply, id, 'abort', request.body);
  });
};
