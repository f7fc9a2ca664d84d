/** Builds the Launch Control worker: workflows (bundled for the sandbox) and activities over integrations. */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { identityKeyFromEnv } from './identity-proof.js';
import type { IntegrationRegistry } from '../integrations/types.js';
import type { TemporalExtras } from './temporal-extras.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** `npm run bundle` output: plain, and with the tracing interceptors compiled in. */
export const WORKFLOW_BUNDLES = {
  plain: fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url)),
  traced: fileURLToPath(new URL('../dist/workflow-bundle.traced.js', import.meta.url)),
};

export type LaunchWorkerOptions = {
  connection: NativeConnection;
  /** Client the activities use for the freeze gate and audit reads. */
  client: Client;
  namespace: string;
  taskQueue: string;
  integrations: IntegrationRegistry;
  /** Temporal Web UI base, for links in notifications. */
  temporalUiUrl?: string;
  /** Key shared with the API to prove identities; unset: `LAUNCH_CONTROL_IDENTITY_KEY`; null: none. */
  identityKey?: Buffer | null;
  /** Prebundled workflow code (production); bundled from source when absent. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload codec and tracing (`temporalExtrasFromEnv`); the client should carry the same. */
  extras?: TemporalExtras;
};

export async function createLaunchWorker(opts: LaunchWorkerOptions): Promise<Worker> {
  const { payloadCodec, tracing } = opts.extras ?? {};
  return Worker.create({
    ...tracing?.workerOptions,
    ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({
      integrations: opts.integrations,
      temporal: opts.client,
      namespace: opts.namespace,
      ...(opts.temporalUiUrl ? { temporalUiUrl: opts.temporalUiUrl } : {}),
      identityKey: opts.identityKey === undefined ? identityKeyFromEnv() : opts.identityKey,
    }),
  });
}
