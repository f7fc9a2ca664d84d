/** `GET /healthz`: the API is up and Temporal answers (503 otherwise, so a load balancer stops routing here). */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.js';

/** Long enough for a healthy frontend, short enough for a probe. */
const TEMPORAL_PROBE_TIMEOUT_MS = 3_000;

export const healthRoutes: FastifyPluginAsync<ApiContext> = async (app, { client }) => {
  app.get('/healthz', async (request, reply) => {
    try {
      await client.withDeadline(Date.now() + TEMPORAL_PROBE_TIMEOUT_MS, () =>
        client.workflowService.getSystemInfo({}),
      );
      return { ok: true, temporal: 'reachable' };
    } catch (err) {
      request.log.warn({ err }, 'health check: Temporal unreachable');
      return reply.code(503).send({ ok: false, temporal: 'unreachable' });
    }
  });
};
