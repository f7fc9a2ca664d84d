/**
 * `npm start`: the whole of Launch Control on one machine. Starts the Temporal dev server (unless
 * `TEMPORAL_ADDRESS` names a cluster), a worker and the REST API, and prints where they are.
 * Without `LAUNCH_CONTROL_INTEGRATIONS` it also starts the demo stack (HAProxy, Prometheus, the
 * demo service, a load generator; organisation systems simulated), so a launch can be tried at
 * once. Ctrl-C stops everything cleanly.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadAuthFromEnv, startApi } from '../api/server.js';
import { createIntegrationRegistry } from '../integrations/registry.js';
import {
  configuredNames,
  integrationsConfigFromEnv,
  INTEGRATIONS_ENV,
} from '../worker/integrations-from-env.js';
import { connectionOptions, temporalSettingsFromEnv } from '../worker/temporal-connection.js';
import { ensureSearchAttributes } from '../worker/search-attributes-setup.js';
import { installRuntime, WORKER_METRICS_ENV } from '../worker/telemetry.js';
import { codecCorsOrigins } from '../api/routes/codec.js';
import { clientExtras, describeExtras, temporalExtrasFromEnv } from '../worker/temporal-extras.js';
import { createLaunchWorker } from '../worker/worker.js';
import { IDENTITY_KEY_ENV } from '../worker/identity-proof.js';
import { randomBytes } from 'node:crypto';
import { startDevServer, type DevServer } from './dev-server.js';
import { startDemoEnvironment } from './demo/environment.js';
import { resolveTemporalCli } from './temporal-cli.js';

const log = (line: string) => console.log(line);
const stops: (() => Promise<void>)[] = [];

async function main() {
  // Ctrl-C is handled below, in order; the SDK must not start draining the worker on its own.
  const metricsAddress = process.env[WORKER_METRICS_ENV] ?? '127.0.0.1:9464';
  installRuntime({ metricsAddress, shutdownSignals: [] });
  const extras = temporalExtrasFromEnv('launch-control');
  log(`[launch-control] ${describeExtras(extras)}`);
  if (extras.tracing) stops.push(extras.tracing.shutdown);
  const apiPort = Number(process.env.PORT ?? 8080);
  let devServer: DevServer | null = null;
  const external = !!process.env.TEMPORAL_ADDRESS;
  if (!external) {
    const cli = await resolveTemporalCli(log);
    log('[temporal] starting the dev server…');
    devServer = await startDevServer({
      cli,
      log,
      // The UI shows encrypted payloads through the API's codec endpoint.
      ...(extras.payloadCodec ? { uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec` } : {}),
    });
    stops.push(devServer.stop);
  }
  const settings = temporalSettingsFromEnv(process.env, devServer?.address);
  if (!process.env[IDENTITY_KEY_ENV]) {
    // Worker and API run in this one process: a fresh key lets API approvals be audited verified.
    process.env[IDENTITY_KEY_ENV] = randomBytes(32).toString('base64');
    log(`[start] ${IDENTITY_KEY_ENV} unset: a fresh key for this run (API approvals are verified)`);
  }

  let config = await integrationsConfigFromEnv();
  if (!config) {
    log(`[demo] ${INTEGRATIONS_ENV} is not set: starting the embedded demo stack to launch against…`);
    const demo = await startDemoEnvironment({ log });
    stops.push(demo.stop);
    config = demo.integrationsConfig;
    const { urls } = demo.stack;
    log(
      `[demo] checkout service: production ${urls.frontends.production}, staging ${urls.frontends.staging} (HAProxy), Prometheus ${urls.prometheus}`,
    );
    log(
      `[demo] CI, on-call, incidents, tracker, docs, secrets, backups and chat are SIMULATED on ${demo.world.url}`,
    );
    log(
      `[demo] known-bad build: 3.0.0-bad; on call: ${demo.world.onCallUser?.name ?? 'nobody'} (acknowledges as ${demo.world.onCallUser?.email ?? '-'}); review links go under ${demo.world.url}/docs/`,
    );
  }
  const registry = createIntegrationRegistry(config);
  const uiUrl = process.env.TEMPORAL_UI_URL ?? devServer?.uiUrl;

  const connection = await NativeConnection.connect(connectionOptions(settings));
  const clientConnection = await Connection.connect(connectionOptions(settings));
  const client = new Client({
    connection: clientConnection,
    namespace: settings.namespace,
    ...clientExtras(extras),
  });
  await ensureSearchAttributes(clientConnection, settings.namespace, log);
  const worker = await createLaunchWorker({
    connection,
    client,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    integrations: registry,
    extras,
    ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
  });
  const workerRun = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await workerRun;
    await connection.close();
    await clientConnection.close();
  });

  const api = await startApi({
    auth: loadAuthFromEnv(process.env),
    client,
    ...(extras.payloadCodec
      ? {
          codec: {
            codec: extras.payloadCodec,
            namespace: settings.namespace,
            corsOrigins: codecCorsOrigins(process.env, uiUrl),
          },
        }
      : {}),
    taskQueue: settings.taskQueue,
    host: process.env.HOST ?? '127.0.0.1',
    port: apiPort,
    ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
    integrationNames: configuredNames(registry),
  });
  stops.push(api.close);

  log('');
  log('Launch Control is running.');
  log(`  REST API     ${api.url}   (try: curl ${api.url}/healthz)`);
  if (uiUrl) log(`  Temporal UI  ${uiUrl}/namespaces/${settings.namespace}/workflows`);
  log(
    `  Temporal     ${settings.address}  namespace ${settings.namespace}  task queue ${settings.taskQueue}`,
  );
  log(
    `  Start a launch:  curl -s -XPOST ${api.url}/launches -H 'content-type: application/json' -d @examples/quickstart.json`,
  );
  log('  Ctrl-C stops everything.');
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`\n[launch-control] ${signal}: stopping…`);
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (err) {
      console.error(`[launch-control] while stopping: ${(err as Error).message}`);
    }
  }
  log('[launch-control] stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

main().catch(async (err) => {
  console.error(`[launch-control] failed to start: ${err instanceof Error ? err.message : err}`);
  await shutdown('error');
  process.exit(1);
});
