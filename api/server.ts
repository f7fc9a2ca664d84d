/** Starts the API on a port: `npm start` and e2e tests use it; API tests use `buildApp` + `inject`. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';

export type StartApiOptions = {
  client: Client;
  taskQueue: string;
  /** Loopback by default: exposing the API is a deliberate choice (there is no auth yet). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  temporalUiUrl?: string;
  integrationNames?: (kind: string) => string[];
  logger?: boolean;
};

export type RunningApi = { app: FastifyInstance; url: string; close: () => Promise<void> };

export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  const { host = '127.0.0.1', port, logger = true, ...rest } = opts;
  const app = buildApp({ ...rest, logger });
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = address && typeof address === 'object' ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${urlHost}:${boundPort}`, close: () => app.close() };
}
