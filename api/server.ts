/** Starts the API on a port: `npm start` and e2e tests use it; API tests use `buildApp` + `inject`. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { CodecSettings } from './routes/codec.js';
import { resolveAuth, RATE_LIMIT_ENV, TOKENS_ENV, TOKENS_FILE_ENV, type AuthConfig } from './auth.js';

export { loadAuthFromEnv } from './auth.js';

export type StartApiOptions = {
  client: Client;
  taskQueue: string;
  /** Loopback by default: exposing the API is a deliberate choice. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  temporalUiUrl?: string;
  integrationNames?: (kind: string) => string[];
  logger?: boolean;
  /** Tokens and rate limits (`loadAuthFromEnv()`); absent: dev mode, refused in production. */
  auth?: AuthConfig;
  /** Payload codec endpoint for the Temporal UI (when payloads are encrypted). */
  codec?: CodecSettings;
  /** Where the auth mode line goes (the dev-mode warning included); default stderr. */
  log?: (line: string) => void;
};

export type RunningApi = { app: FastifyInstance; url: string; close: () => Promise<void> };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  const { host = '127.0.0.1', port, logger = true, log = (line) => console.warn(line), ...rest } = opts;
  // Throws in production without tokens, before anything listens.
  const auth = resolveAuth(rest.auth);
  const app = buildApp({ ...rest, logger });
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = address && typeof address === 'object' ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${boundPort}`;
  const limit = auth.rateLimit
    ? `rate limit ${auth.rateLimit.max} per ${auth.rateLimit.windowMs / 1000}s per caller on mutating routes`
    : 'no rate limit';
  if (auth.mode === 'dev') {
    log(
      `[api] ⚠️  WARNING: DEV MODE, NO AUTHENTICATION on ${url}: no API tokens are configured (${TOKENS_FILE_ENV} / ${TOKENS_ENV}), so every request is accepted with every role and "by" is whatever the body claims. For local development only; NODE_ENV=production refuses to start like this.`,
    );
    if (!LOOPBACK.test(host))
      log(
        `[api] ⚠️  WARNING: the unauthenticated API listens on ${host}, not loopback: anyone who can reach it can start and abort launches.`,
      );
  } else {
    log(
      `[api] auth: bearer tokens for ${auth.store.size} token(s) of ${auth.store.subjects().length} subject(s); ${limit} (${RATE_LIMIT_ENV}); /healthz, /openapi.json and /docs are public`,
    );
  }
  return { app, url, close: () => app.close() };
}
