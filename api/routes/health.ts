/** `GET /healthz`: the API is up and Temporal answers (503 otherwise, so a load balancer stops routing here). */
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { Operation } from '../operations.js';
import { healthSchema } from '../schemas.js';

/** Long enough for a healthy frontend, short enough for a probe. */
const TEMPORAL_PROBE_TIMEOUT_MS = 3_000;

const healthOperation: Operation = {
  operationId: 'getHealth',
  summary: 'Liveness, with Temporal reachability',
  description: '503 when Temporal does not answer within 3 s, so a load balancer stops routing here.',
  tag: 'health',
  access: 'public',
  responses: {
    200: { description: 'The API is up and Temporal answers.', schema: healthSchema, name: 'Health' },
    503: { description: 'Temporal is unreachable.', schema: healthSchema, name: 'Health' },
  },
};

export const healthRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.get('/healthz', { config: { operation: healthOperation } }, async (request, reply) => {
    try {
      await client.withDeadline(Date.now() + TEMPORAL_PROBE_TIMEOUT_MS, () =>
        client.workflowService.getSystemInfo({}),
      );
      return { ok: true, temporal: 'reachable' } satisfies z.infer<typeof healthSchema>;
    } catch (err) {
      request.log.warn({ err }, 'health check: Temporal unreachable');
      return reply.code(503).send({ ok: false, temporal: 'unreachable' });
    }
  });
};
