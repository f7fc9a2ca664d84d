/** Builds the Launch Control worker: workflows (bundled for the sandbox) and activities over integrations. */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import type { IntegrationRegistry } from '../integrations/types.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type LaunchWorkerOptions = {
  connection: NativeConnection;
  /** Client the activities use for the freeze gate and audit reads. */
  client: Client;
  namespace: string;
  taskQueue: string;
  integrations: IntegrationRegistry;
  /** Temporal Web UI base, for links in notifications. */
  temporalUiUrl?: string;
  /** Prebundled workflow code (production); bundled from source when absent. */
  workflowBundle?: WorkerOptions['workflowBundle'];
};

export async function createLaunchWorker(opts: LaunchWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({
      integrations: opts.integrations,
      temporal: opts.client,
      namespace: opts.namespace,
      ...(opts.temporalUiUrl ? { temporalUiUrl: opts.temporalUiUrl } : {}),
    }),
  });
}
