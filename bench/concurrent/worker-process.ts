/**
 * The worker of the concurrent-launches bench, in its own process so its CPU time and memory are
 * its own: `launch` runs Launch Control's worker as the product builds it, `baseline` a bare
 * worker with the baseline workflow and a no-op activity, with the same (default) worker options.
 * Settings come from the environment; it says `ready` over IPC and stops on `stop`.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { installRuntime } from '../../worker/telemetry.js';
import { createLaunchWorker } from '../../worker/worker.js';

const mode = process.env.BENCH_WORKER_MODE;
const address = process.env.BENCH_TEMPORAL_ADDRESS!;
const taskQueue = process.env.BENCH_TASK_QUEUE!;

installRuntime({ logLevel: 'WARN' });
const connection = await NativeConnection.connect({ address });
const clientConnection = await Connection.connect({ address });
const client = new Client({ connection: clientConnection, namespace: 'default' });

let worker: Worker;
if (mode === 'launch') {
  const integrations = JSON.parse(process.env.BENCH_INTEGRATIONS!) as IntegrationsConfig;
  worker = await createLaunchWorker({
    connection,
    client,
    namespace: 'default',
    taskQueue,
    integrations: createIntegrationRegistry(integrations),
  });
} else {
  worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url)),
    activities: { noop: async () => Date.now() },
  });
}
const running = worker.run();
process.send?.({ ready: true });
process.on('message', (message: { stop?: boolean }) => {
  if (message?.stop) worker.shutdown();
});
process.on('disconnect', () => worker.getState() === 'RUNNING' && worker.shutdown());
await running;
await clientConnection.close();
await connection.close();
process.exit(0);
