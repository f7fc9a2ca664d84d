/**
 * `POST /freeze/requests`: CI/CD asks whether a production config change may go ahead now. 200
 * when no freeze holds (or an override allows this change), 423 Locked while a freeze holds.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { configChangeRequestSchema } from '../../domain/messages.js';
import { slug } from '../../domain/plan.js';
import type { ApiContext } from '../context.js';
import { parseOr400 } from '../errors.js';
import { submitConfigChange } from '../freeze-gate.js';
import { callerBody, type Operation } from '../operations.js';
import { freezeAnswerSchema } from '../schemas.js';

export const freezeRequestBody = configChangeRequestSchema.extend({ service: slug });

const freezeRequestOperation: Operation = {
  operationId: 'requestConfigChange',
  summary: 'Ask the freeze gate whether a production config change may go ahead',
  description:
    'Every running launch of the service holding a freeze is asked (and records the request in its audit log). 200 when none holds one, or an override allows exactly this change (once); 423 while a freeze holds.',
  tag: 'freeze',
  access: 'operator',
  actsAsCaller: true,
  mutating: true,
  body: {
    schema: callerBody(freezeRequestBody),
    name: 'ConfigChangeRequest',
    examples: {
      change: {
        summary: 'a config change from CI/CD',
        value: { service: 'checkout', change: 'chg-42', reason: 'rotate a key' },
      },
    },
  },
  responses: {
    200: { description: 'The change may go ahead.', schema: freezeAnswerSchema, name: 'FreezeAnswer' },
    423: {
      description: 'A freeze holds: the change must wait.',
      schema: freezeAnswerSchema,
      name: 'FreezeAnswer',
    },
  },
};

export const freezeRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.post('/freeze/requests', { config: { operation: freezeRequestOperation } }, async (request, reply) => {
    const body = parseOr400(freezeRequestBody, request.body);
    const answer = await submitConfigChange(client, body);
    return reply.code(answer.allowed ? 200 : 423).send(answer satisfies z.infer<typeof freezeAnswerSchema>);
  });
};
