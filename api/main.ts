/**
 * A standalone API process (scale out behind a load balancer): connects to `TEMPORAL_ADDRESS`;
 * `LAUNCH_CONTROL_INTEGRATIONS` (when set) lets it refuse plans naming unknown integrations.
 * Callers authenticate with the bearer tokens of `LAUNCH_CONTROL_TOKENS_FILE` / `LAUNCH_CONTROL_TOKENS`
 * (see `auth.ts`); with none it runs in dev mode, except with `NODE_ENV=production`, where it refuses.
 */
import { Client, Connection } from '@temporalio/client';
import { createIntegrationRegistry } from '../integrations/registry.js';
import { configuredNames, integrationsConfigFromEnv } from '../worker/integrations-from-env.js';
import { connectionOptions, temporalSettingsFromEnv } from '../worker/temporal-connection.js';
import { codecCorsOrigins } from './routes/codec.js';
import { clientExtras, describeExtras, temporalExtrasFromEnv } from '../worker/temporal-extras.js';
import { loadAuthFromEnv, resolveAuth, type AuthConfig } from './auth.js';
import { startApi } from './server.js';

let auth: AuthConfig;
try {
  // Before connecting anywhere: a bad tokens file or production without tokens stops here.
  auth = loadAuthFromEnv(process.env);
  resolveAuth(auth);
} catch (err) {
  console.error(`[api] failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const settings = temporalSettingsFromEnv();
const config = await integrationsConfigFromEnv();
const extras = temporalExtrasFromEnv('launch-control-api');
const connection = await Connection.connect(connectionOptions(settings));
const client = new Client({ connection, namespace: settings.namespace, ...clientExtras(extras) });
const api = await startApi({
  client,
  ...(extras.payloadCodec
    ? {
        codec: {
          codec: extras.payloadCodec,
          namespace: settings.namespace,
          corsOrigins: codecCorsOrigins(process.env, process.env.TEMPORAL_UI_URL),
        },
      }
    : {}),
  auth,
  taskQueue: settings.taskQueue,
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8080),
  ...(process.env.TEMPORAL_UI_URL ? { temporalUiUrl: process.env.TEMPORAL_UI_URL } : {}),
  ...(config ? { integrationNames: configuredNames(createIntegrationRegistry(config)) } : {}),
});
console.log(
  `[api] ${api.url} → Temporal ${settings.address} (namespace ${settings.namespace}, task queue ${settings.taskQueue}; ${describeExtras(extras)})`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api
      .close()
      .then(() => connection.close())
      .then(() => extras.tracing?.shutdown())
      .then(() => process.exit(0));
  });
}
