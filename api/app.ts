/**
 * The Launch Control REST API (DESIGN §9). Each route group is a plugin in `routes/`; validation
 * uses the domain's zod schemas; `errors.ts` maps every failure to one JSON shape.
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { registerErrorHandling } from './errors.js';
import { freezeRoutes } from './routes/freeze.js';
import { healthRoutes } from './routes/health.js';
import { launchActionRoutes } from './routes/launch-actions.js';
import { launchViewRoutes } from './routes/launch-views.js';
import { launchesRoutes } from './routes/launches.js';

/** A valid plan or review is a few KiB; this bounds what a caller can push into workflow history. */
export const BODY_LIMIT_BYTES = 256 * 1024;

export type BuildAppOptions = {
  client: Client;
  taskQueue: string;
  temporalUiUrl?: string;
  integrationNames?: (kind: string) => string[];
  logger?: boolean;
};

export function buildApp(opts: BuildAppOptions): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: BODY_LIMIT_BYTES });
  // Before the plugins, so every route inherits it.
  registerErrorHandling(app);
  const ctx: ApiContext = {
    client: opts.client,
    taskQueue: opts.taskQueue,
    ...(opts.temporalUiUrl ? { temporalUiUrl: opts.temporalUiUrl } : {}),
    ...(opts.integrationNames ? { integrationNames: opts.integrationNames } : {}),
  };
  void app.register(healthRoutes, ctx);
  void app.register(launchesRoutes, ctx);
  void app.register(launchViewRoutes, ctx);
  void app.register(launchActionRoutes, ctx);
  void app.register(freezeRoutes, ctx);
  return app;
}
