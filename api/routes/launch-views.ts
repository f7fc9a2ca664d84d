/**
 * Reading one launch: `GET /launches/:id` (the `status` query), `/checklist` (JSON, or the task
 * list's Markdown for `Accept: text/markdown`) and `/audit`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { checklistEntries, checklistSummary, renderChecklistMarkdown } from '../../domain/checklist.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { preferredMediaType } from '../accept.js';
import type { ApiContext } from '../context.js';
import { conflict, parseOr400 } from '../errors.js';
import { launchIdParams, queryLaunch, type UnansweredLaunch } from '../launch-handles.js';
import type { Operation, ResponseDoc } from '../operations.js';
import {
  auditSchema,
  checklistSchema,
  errorSchema,
  launchStatusSchema,
  unansweredLaunchSchema,
} from '../schemas.js';

const notFoundResponse: ResponseDoc = {
  description: 'No launch with this id.',
  schema: errorSchema,
  name: 'Error',
};
const unansweredResponse: ResponseDoc = {
  description:
    'The launch’s workflow does not answer queries (e.g. it failed on an invalid plan sent from the CLI), so it has nothing recorded; `launch` says what is known.',
  schema: errorSchema,
  name: 'Error',
};

const launchStatusResponse = z.union([launchStatusSchema, unansweredLaunchSchema]);

const statusOperation: Operation = {
  operationId: 'getLaunch',
  summary: 'A launch’s status',
  description:
    'Phase, task, traffic %, pending approvals with the payload each expects, next timer, last analysis, abort cause. A launch that does not answer queries is described from Temporal instead (`phase: UNKNOWN`).',
  tag: 'launches',
  access: 'viewer',
  params: launchIdParams,
  responses: {
    200: {
      description: 'The status, or (`phase: UNKNOWN`) what Temporal knows of a launch that does not answer.',
      schema: launchStatusResponse,
      name: 'LaunchStatus',
    },
    404: notFoundResponse,
  },
};

const checklistOperation: Operation = {
  operationId: 'getLaunchChecklist',
  summary: 'The 60 checklist items with status and evidence',
  description:
    'JSON by default; the task list’s Markdown, `[x]` on passed items, with `Accept: text/markdown`.',
  tag: 'launches',
  access: 'viewer',
  params: launchIdParams,
  responses: {
    200: {
      description: 'The checklist.',
      content: {
        'application/json': { schema: checklistSchema },
        'text/markdown': { schema: { type: 'string' } },
      },
    },
    404: notFoundResponse,
    409: unansweredResponse,
  },
};

const auditOperation: Operation = {
  operationId: 'getLaunchAudit',
  summary: 'The audit log',
  description: 'Every action on the launch, accepted or refused, with who acted.',
  tag: 'launches',
  access: 'viewer',
  params: launchIdParams,
  responses: {
    200: { description: 'The audit log.', schema: auditSchema, name: 'AuditLog' },
    404: notFoundResponse,
    409: unansweredResponse,
  },
};

/** Checklist and audit live in the workflow: a launch that never answered has neither. */
function nothingRecorded(what: string, launch: UnansweredLaunch) {
  const why = launch.failure ?? launch.queryError;
  return conflict(
    `launch "${launch.launchId}" has no ${what}: its workflow is ${launch.temporalStatus} and does not answer queries (${why})`,
    { launch },
  );
}

export const launchViewRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.get('/launches/:id', { config: { operation: statusOperation } }, async (request) => {
    const { id } = parseOr400(launchIdParams, request.params);
    const answer = await queryLaunch(client, id, statusQuery);
    // A launch that failed before answering (e.g. an invalid plan sent from the CLI) still gets a useful 200.
    if (!answer.answered) return answer.launch satisfies z.infer<typeof unansweredLaunchSchema>;
    return answer.value satisfies z.infer<typeof launchStatusSchema>;
  });

  app.get(
    '/launches/:id/checklist',
    { config: { operation: checklistOperation } },
    async (request, reply) => {
      const { id } = parseOr400(launchIdParams, request.params);
      const answer = await queryLaunch(client, id, checklistQuery);
      if (!answer.answered) throw nothingRecorded('checklist', answer.launch);
      reply.header('vary', 'accept');
      if (
        preferredMediaType(request.headers.accept, ['application/json', 'text/markdown']) === 'text/markdown'
      ) {
        return reply.type('text/markdown; charset=utf-8').send(renderChecklistMarkdown(answer.value));
      }
      return {
        launchId: id,
        summary: checklistSummary(answer.value),
        items: checklistEntries(answer.value),
      } satisfies z.infer<typeof checklistSchema>;
    },
  );

  app.get('/launches/:id/audit', { config: { operation: auditOperation } }, async (request) => {
    const { id } = parseOr400(launchIdParams, request.params);
    const answer = await queryLaunch(client, id, auditQuery);
    if (!answer.answered) throw nothingRecorded('audit log', answer.launch);
    return { launchId: id, entries: answer.value } satisfies z.infer<typeof auditSchema>;
  });
};
