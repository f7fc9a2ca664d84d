/**
 * The worker process the chaos runs kill: the same worker as `worker/main.ts` (createLaunchWorker,
 * the integrations file from `LAUNCH_CONTROL_INTEGRATIONS`, the Temporal settings from the same
 * env, search attributes ensured), except that it loads the workflow code the chaos run bundled
 * once from the current source (`CHAOS_WORKFLOW_BUNDLE`), so a restart takes a second or two rather
 * than a webpack build, and never picks up a stale `dist/` bundle.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { integrationsConfigFromEnv, INTEGRATIONS_ENV } from '../../worker/integrations-from-env.js';
import { ensureSearchAttributes } from '../../worker/search-attributes-setup.js';
import { connectionOptions, temporalSettingsFromEnv } from '../../worker/temporal-connection.js';
import { installRuntime } from '../../worker/telemetry.js';
import { createLaunchWorker } from '../../worker/worker.js';

installRuntime({ logFormat: 'json', logLevel: 'WARN' });
const settings = temporalSettingsFromEnv();
const config = await integrationsConfigFromEnv();
if (!config) {
  console.error(`${INTEGRATIONS_ENV} is not set`);
  process.exit(2);
}
const bundle = process.env.CHAOS_WORKFLOW_BUNDLE;
const connection = await NativeConnection.connect(connectionOptions(settings));
const clientConnection = await Connection.connect(connectionOptions(settings));
const client = new Client({ connection: clientConnection, namespace: settings.namespace });
await ensureSearchAttributes(clientConnection, settings.namespace, (line) => console.log(line));
const worker = await createLaunchWorker({
  connection,
  client,
  namespace: settings.namespace,
  taskQueue: settings.taskQueue,
  integrations: createIntegrationRegistry(config),
  ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
});
// scripts/chaos/lane.ts waits for this line.
console.log(
  `[chaos-worker] polling ${settings.taskQueue} (namespace ${settings.namespace}, pid ${process.pid})`,
);
await worker.run();
