/**
 * A chaos lane: one demo environment (its own HAProxy, Prometheus, demo service, load generator and
 * sandbox world), one Temporal namespace and one worker *process* that can be SIGKILLed and
 * restarted. Lanes are isolated from each other (launches of the one demo service would otherwise
 * fight over its HAProxy backend, and the freeze gate finds freezes per service in a namespace), so
 * several run side by side on one dev server.
 */
import { Client, Connection } from '@temporalio/client';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHaproxyWeights, type HaproxyWeights } from '../../integrations/haproxy/traffic-haproxy.js';
import { startDemoEnvironment, type DemoEnvironmentHandle } from '../demo/environment.js';
import { spawnManaged, stopManaged, type Log, type ManagedProcess } from '../demo/processes.js';
import { PROJECT_ROOT } from '../temporal-cli.js';

export const READY_LINE = '[chaos-worker] polling';

export type WorkerEvent = { at: number; what: 'kill' | 'start' | 'ready' | 'exit'; detail?: string };

export type Lane = {
  index: number;
  namespace: string;
  taskQueue: string;
  demo: DemoEnvironmentHandle;
  client: Client;
  /** Worker state: `down` after a kill until the next start. */
  workerUp(): boolean;
  /** Starts the worker process and waits until it polls. */
  startWorker(): Promise<void>;
  /** SIGKILL to the worker's process group, at once; resolves once it is gone. */
  killWorker(reason: string): Promise<void>;
  events: WorkerEvent[];
  kills(): number;
  /** HAProxy weights of the production backend, read over the runtime API. */
  productionWeights(): Promise<HaproxyWeights>;
  /** Production back to 1.0.0 on both slots, all traffic on stable (between launches). */
  resetProduction(): Promise<void>;
  stop(): Promise<void>;
};

export async function startLane(opts: {
  index: number;
  address: string;
  dataRoot: string;
  /** Prebundled workflow code; bundled from source at every worker start when absent. */
  bundlePath?: string;
  /** Default `chaos-<index>` (the dev server must have it). */
  namespace?: string;
  log: Log;
}): Promise<Lane> {
  const namespace = opts.namespace ?? `chaos-${opts.index}`;
  const taskQueue = `chaos-lane-${opts.index}`;
  const dataDir = join(opts.dataRoot, `lane-${opts.index}`);
  const demo = await startDemoEnvironment({ dataDir, log: () => undefined });
  const integrationsFile = join(dataDir, 'integrations.json');
  writeFileSync(integrationsFile, `${JSON.stringify(demo.integrationsConfig, null, 2)}\n`);
  const connection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection, namespace });
  const logFile = join(dataDir, 'logs', 'worker.log');
  const events: WorkerEvent[] = [];
  let worker: ManagedProcess | null = null;
  let up = false;

  const startWorker = async () => {
    if (worker?.isRunning()) return;
    const offset = sizeOf(logFile);
    events.push({ at: Date.now(), what: 'start' });
    const started = spawnManaged({
      name: `worker-${opts.index}`,
      command: process.execPath,
      args: ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'chaos', 'worker.ts')],
      cwd: PROJECT_ROOT,
      logFile,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: opts.address,
        TEMPORAL_NAMESPACE: namespace,
        LAUNCH_CONTROL_TASK_QUEUE: taskQueue,
        LAUNCH_CONTROL_INTEGRATIONS: integrationsFile,
        ...(opts.bundlePath ? { CHAOS_WORKFLOW_BUNDLE: opts.bundlePath } : {}),
      },
    });
    worker = started;
    void started.exited.then((how) => events.push({ at: Date.now(), what: 'exit', detail: how }));
    const deadline = Date.now() + 120_000;
    while (!readFrom(logFile, offset).includes(READY_LINE)) {
      if (!started.isRunning())
        throw new Error(`worker ${opts.index} exited (${await started.exited}); see ${logFile}`);
      if (Date.now() > deadline)
        throw new Error(`worker ${opts.index} not polling after 120 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    up = true;
    events.push({ at: Date.now(), what: 'ready' });
  };

  const killWorker = async (reason: string) => {
    const current = worker;
    if (!current?.isRunning()) return;
    up = false;
    events.push({ at: Date.now(), what: 'kill', detail: reason });
    const pid = current.child.pid!;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await current.exited;
  };

  const traffic = demo.integrationsConfig.traffic!.default!;
  const productionWeights = () => {
    if (traffic.type !== 'haproxy') throw new Error('the demo stack routes with HAProxy');
    return readHaproxyWeights(traffic, { service: 'checkout', environment: 'production' });
  };

  const resetProduction = async () => {
    for (const slot of ['stable', 'canary']) {
      const res = await fetch(`${demo.stack.urls.controller}/deploy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'checkout', environment: 'production', slot, version: '1.0.0' }),
      });
      if (!res.ok) throw new Error(`lane ${opts.index}: reset deploy ${slot}: ${res.status}`);
    }
    const weights = await productionWeights();
    if (weights.canary.weight !== 0 || weights.stable.weight !== 100)
      throw new Error(
        `lane ${opts.index}: production not on stable before a launch: ${JSON.stringify(weights)}`,
      );
  };

  return {
    index: opts.index,
    namespace,
    taskQueue,
    demo,
    client,
    workerUp: () => up && worker?.isRunning() === true,
    startWorker,
    killWorker,
    events,
    kills: () => events.filter((e) => e.what === 'kill').length,
    productionWeights,
    resetProduction,
    stop: async () => {
      if (worker) await stopManaged(worker, 1_000);
      await connection.close();
      await demo.stop();
    },
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  const size = sizeOf(file);
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
