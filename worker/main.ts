/**
 * A standalone worker process (scale out by running more): connects to `TEMPORAL_ADDRESS` and
 * uses the integrations in `LAUNCH_CONTROL_INTEGRATIONS`. Uses the prebundled workflow code from
 * `npm run bundle` when present.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { createIntegrationRegistry } from '../integrations/registry.js';
import { integrationsConfigFromEnv, INTEGRATIONS_ENV } from './integrations-from-env.js';
import { connectionOptions, temporalSettingsFromEnv } from './temporal-connection.js';
import { ensureSearchAttributes } from './search-attributes-setup.js';
import { installRuntime, WORKER_METRICS_ENV } from './telemetry.js';
import { clientExtras, describeExtras, temporalExtrasFromEnv } from './temporal-extras.js';
import { createLaunchWorker, WORKFLOW_BUNDLES } from './worker.js';

installRuntime({ metricsAddress: process.env[WORKER_METRICS_ENV], logFormat: 'json' });
const settings = temporalSettingsFromEnv();
const config = await integrationsConfigFromEnv();
if (!config) {
  console.error(`${INTEGRATIONS_ENV} is not set: name the integrations file (see README, "Configuration").`);
  process.exit(2);
}
const extras = temporalExtrasFromEnv('launch-control-worker');
const bundle = extras.tracing ? WORKFLOW_BUNDLES.traced : WORKFLOW_BUNDLES.plain;
const connection = await NativeConnection.connect(connectionOptions(settings));
const clientConnection = await Connection.connect(connectionOptions(settings));
const client = new Client({
  connection: clientConnection,
  namespace: settings.namespace,
  ...clientExtras(extras),
});
await ensureSearchAttributes(clientConnection, settings.namespace, (line) => console.log(line));
const worker = await createLaunchWorker({
  connection,
  client,
  namespace: settings.namespace,
  taskQueue: settings.taskQueue,
  integrations: createIntegrationRegistry(config),
  ...(process.env.TEMPORAL_UI_URL ? { temporalUiUrl: process.env.TEMPORAL_UI_URL } : {}),
  extras,
  ...(existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : {}),
});
console.log(
  `[worker] polling ${settings.taskQueue} on ${settings.address} (namespace ${settings.namespace}; ${describeExtras(extras)})`,
);
await worker.run();
await extras.tracing?.shutdown();
