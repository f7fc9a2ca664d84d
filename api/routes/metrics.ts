/**
 * `GET /metrics`: the API's own Prometheus metrics — requests by route and status, their latency,
 * and the Node process. Public like `/healthz` (no launch data in it), so Prometheus can scrape it.
 * Launch-level metrics (phases, aborts, stage durations) come from the worker's endpoint.
 */
import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Operation } from '../operations.js';

const metricsOperation: Operation = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics of the API',
  tag: 'health',
  access: 'public',
  responses: {
    200: {
      description: 'Prometheus text exposition format.',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
};

export const metricsRoutes: FastifyPluginAsync = async (app) => {
  // One registry per app: tests build many apps in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'launch_control_api_' });
  const requests = new Counter({
    name: 'launch_control_api_requests_total',
    help: 'API requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'launch_control_api_request_duration_seconds',
    help: 'API request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Root-level hook: it sees every route, with the route pattern (never the raw URL) as label.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { config: { operation: metricsOperation } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
};
