/**
 * `POST /freeze/requests`: CI/CD asks whether a production config change may go ahead now. 200
 * when no freeze holds (or an override allows this change), 423 Locked while a freeze holds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { configChangeRequestSchema } from '../../domain/messages.js';
import { slug } from '../../domain/plan.js';
import type { ApiContext } from '../context.js';
import { parseOr400 } from '../errors.js';
import { submitConfigChange } from '../freeze-gate.js';

export const freezeRequestBody = configChangeRequestSchema.extend({ service: slug });

export const freezeRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.post('/freeze/requests', async (request, reply) => {
    const body = parseOr400(freezeRequestBody, request.body);
    const answer = await submitConfigChange(client, body);
    return reply.code(answer.allowed ? 200 : 423).send(answer);
  });
};
