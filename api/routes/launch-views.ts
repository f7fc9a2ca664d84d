/**
 * Reading one launch: `GET /launches/:id` (the `status` query), `/checklist` (JSON, or the task
 * list's Markdown for `Accept: text/markdown`) and `/audit`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { checklistEntries, checklistSummary, renderChecklistMarkdown } from '../../domain/checklist.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { preferredMediaType } from '../accept.js';
import type { ApiContext } from '../context.js';
import { conflict, parseOr400 } from '../errors.js';
import { launchIdParams, queryLaunch, type UnansweredLaunch } from '../launch-handles.js';

/** Checklist and audit live in the workflow: a launch that never answered has neither. */
function nothingRecorded(what: string, launch: UnansweredLaunch) {
  const why = launch.failure ?? launch.queryError;
  return conflict(
    `launch "${launch.launchId}" has no ${what}: its workflow is ${launch.temporalStatus} and does not answer queries (${why})`,
    { launch },
  );
}

export const launchViewRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.get('/launches/:id', async (request) => {
    const { id } = parseOr400(launchIdParams, request.params);
    const answer = await queryLaunch(client, id, statusQuery);
    // A launch that failed before answering (e.g. an invalid plan sent from the CLI) still gets a useful 200.
    return answer.answered ? answer.value : answer.launch;
  });

  app.get('/launches/:id/checklist', async (request, reply) => {
    const { id } = parseOr400(launchIdParams, request.params);
    const answer = await queryLaunch(client, id, checklistQuery);
    if (!answer.answered) throw nothingRecorded('checklist', answer.launch);
    reply.header('vary', 'accept');
    if (
      preferredMediaType(request.headers.accept, ['application/json', 'text/markdown']) === 'text/markdown'
    ) {
      return reply.type('text/markdown; charset=utf-8').send(renderChecklistMarkdown(answer.value));
    }
    return { launchId: id, summary: checklistSummary(answer.value), items: checklistEntries(answer.value) };
  });

  app.get('/launches/:id/audit', async (request) => {
    const { id } = parseOr400(launchIdParams, request.params);
    const answer = await queryLaunch(client, id, auditQuery);
    if (!answer.answered) throw nothingRecorded('audit log', answer.launch);
    return { launchId: id, entries: answer.value };
  });
};
