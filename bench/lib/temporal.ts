/**
 * A Temporal dev server for one bench section: in memory, headless, on 127.0.0.1 with free ports,
 * Launch Control's search attributes registered. Spawned as our own child (own process group,
 * killed with us) so its CPU time can be read from /proc.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, spawnManaged, stopManaged, waitUntil } from '../../scripts/demo/processes.js';
import { PROJECT_ROOT, resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { devServerSearchAttributeArgs } from '../../workflows/search-attributes.js';

export const BENCH_DATA_DIR = join(PROJECT_ROOT, '.data', 'bench');

export type BenchTemporal = {
  address: string;
  pid: number;
  client: Client;
  connection: Connection;
  nativeConnection: () => Promise<NativeConnection>;
  stop: () => Promise<void>;
};

export async function startBenchTemporal(name: string): Promise<BenchTemporal> {
  const cli = await resolveTemporalCli();
  const [port, httpPort, metricsPort] = await freePorts(3);
  mkdirSync(join(BENCH_DATA_DIR, 'logs'), { recursive: true });
  const logFile = join(BENCH_DATA_DIR, 'logs', `temporal-${name}.log`);
  const server = spawnManaged({
    name: `temporal-${name}`,
    command: cli,
    args: [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--metrics-port',
      String(metricsPort),
      '--log-level',
      'error',
      ...devServerSearchAttributeArgs(),
    ],
    logFile,
  });
  const address = `127.0.0.1:${port}`;
  const stop = () => stopManaged(server, 5_000);
  try {
    await waitUntil(
      `temporal dev server (${name})`,
      async () => {
        const probe = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await probe.workflowService.getSystemInfo({});
          return true;
        } finally {
          await probe.close();
        }
      },
      { timeoutMs: 60_000, process: server, logFile, intervalMs: 300 },
    );
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });
    const natives: NativeConnection[] = [];
    return {
      address,
      pid: server.child.pid!,
      client,
      connection,
      nativeConnection: async () => {
        const native = await NativeConnection.connect({ address });
        natives.push(native);
        return native;
      },
      stop: async () => {
        for (const native of natives) await native.close().catch(() => undefined);
        await connection.close().catch(() => undefined);
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every event of a workflow execution chain (following continue-as-new), one list per run. */
export async function historiesOf(client: Client, workflowId: string) {
  const runs: { runId: string; events: number; types: Record<string, number> }[] = [];
  // The latest run first; each run's first event names the run it continued from.
  let runId: string | undefined;
  for (let guard = 0; guard < 1_000; guard++) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const types: Record<string, number> = {};
    for (const event of events) {
      const key = eventTypeName(event);
      types[key] = (types[key] ?? 0) + 1;
    }
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    const id = runId ?? (await handle.describe()).runId;
    runs.unshift({ runId: id, events: events.length, types });
    const previous = started?.continuedExecutionRunId;
    if (!previous) break;
    runId = previous;
  }
  return runs;
}

/** `ActivityTaskScheduled`, `TimerStarted`… from whichever attributes field the event carries. */
export function eventTypeName(event: object): string {
  for (const [key, value] of Object.entries(event)) {
    if (value && key.endsWith('EventAttributes')) {
      const name = key.slice(0, -'EventAttributes'.length);
      return name.charAt(0).toUpperCase() + name.slice(1);
    }
  }
  return 'Unknown';
}

export { PROJECT_ROOT };
