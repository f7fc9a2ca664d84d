/**
 * The Launch Control REST API (DESIGN §9, §10). Each route group is a plugin in `routes/`;
 * validation uses the domain's zod schemas; `errors.ts` maps every failure to one JSON shape.
 * Every route declares its `config.operation` (who may call it, what it takes and answers):
 * `auth-hooks.ts` enforces it and `openapi.ts` documents it, served at `/openapi.json` and `/docs`.
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { resolveAuth, type AuthConfig } from './auth.js';
import { registerAuth } from './auth-hooks.js';
import type { ApiContext } from './context.js';
import { registerErrorHandling } from './errors.js';
import { buildOpenApiDocument, type OpenApiDocument, type RegisteredRoute } from './openapi.js';
import { docsRoutes } from './routes/docs.js';
import { freezeRoutes } from './routes/freeze.js';
import { codecRoutes, type CodecSettings } from './routes/codec.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import fastifyPlugin from 'fastify-plugin';
import { launchActionRoutes } from './routes/launch-actions.js';
import { launchViewRoutes } from './routes/launch-views.js';
import { launchesRoutes } from './routes/launches.js';
import { identityKeyFromEnv } from '../worker/identity-proof.js';

/** A valid plan or review is a few KiB; this bounds what a caller can push into workflow history. */
export const BODY_LIMIT_BYTES = 256 * 1024;
const MAX_PARAM_LENGTH = 1_000;

export type BuildAppOptions = {
  client: Client;
  taskQueue: string;
  temporalUiUrl?: string;
  integrationNames?: (kind: string) => string[];
  logger?: boolean;
  /**
   * Bearer tokens and rate limits (see `auth.ts`; `loadAuthFromEnv` reads them from the
   * environment). Absent or without tokens: dev mode, no authentication, unless production
   * (`NODE_ENV=production`), where `buildApp` throws instead.
   */
  auth?: AuthConfig;
  /** The payload codec: serves `/codec/encode` and `/codec/decode` for the Temporal UI. */
  codec?: CodecSettings;
  /** Key shared with the worker to prove callers to launches; unset: `LAUNCH_CONTROL_IDENTITY_KEY`. */
  identityKey?: Buffer | null;
};

export function buildApp(opts: BuildAppOptions): FastifyInstance {
  // Before anything else: production without tokens must not get as far as a server.
  const auth = resolveAuth(opts.auth);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Well above the longest launch id: an over-long `:id` reaches the route's schema (a 400
    // naming `id`) instead of falling out of the router as a 404.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });

  // Every route must say who may call it; one that does not is a programming error, found at start.
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const operation = route.config?.operation;
    for (const method of methods) {
      // Fastify adds a HEAD route for every GET; it shares the GET's operation.
      if (method === 'HEAD') continue;
      if (!operation)
        throw new Error(`route ${method} ${route.url} has no config.operation (see api/operations.ts)`);
      // CORS preflights (browsers send them without credentials) are public and undocumented.
      if (method === 'OPTIONS') {
        if (operation.access !== 'public') throw new Error(`preflight ${route.url} must be public`);
        continue;
      }
      if (method !== 'GET' && !operation.mutating && !operation.sideEffectFree)
        throw new Error(
          `route ${method} ${route.url} changes state: mark its operation mutating (rate limits)`,
        );
      routes.push({ method, url: route.url, operation });
    }
  });
  registerAuth(app, auth);
  registerErrorHandling(app);

  const ctx: ApiContext = {
    client: opts.client,
    taskQueue: opts.taskQueue,
    ...(opts.temporalUiUrl ? { temporalUiUrl: opts.temporalUiUrl } : {}),
    ...(opts.integrationNames ? { integrationNames: opts.integrationNames } : {}),
    identityKey: opts.identityKey === undefined ? identityKeyFromEnv() : opts.identityKey,
  };
  let document: OpenApiDocument | null = null;
  void app.register(fastifyPlugin(metricsRoutes));
  void app.register(healthRoutes, ctx);
  void app.register(launchesRoutes, ctx);
  void app.register(launchViewRoutes, ctx);
  void app.register(launchActionRoutes, ctx);
  void app.register(freezeRoutes, ctx);
  if (opts.codec) void app.register(codecRoutes, opts.codec);
  void app.register(docsRoutes, { document: () => (document ??= buildOpenApiDocument(routes)) });
  // Generated once every route is known, so a schema that cannot be documented fails the start.
  app.addHook('onReady', async () => {
    document = buildOpenApiDocument(routes);
  });
  return app;
}
