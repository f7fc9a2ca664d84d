/**
 * Runs `temporal server start-dev` on 127.0.0.1 with a SQLite file (launches survive restarts),
 * the Web UI, and Launch Control's search attributes registered.
 */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { devServerSearchAttributeArgs } from '../workflows/search-attributes.js';
import { PROJECT_ROOT } from './temporal-cli.js';

export type DevServer = { address: string; uiUrl: string; process: ChildProcess; stop: () => Promise<void> };

export async function startDevServer(opts: {
  cli: string;
  port?: number;
  uiPort?: number;
  dataDir?: string;
  log?: (line: string) => void;
  /** Namespaces to create besides `default` (`--namespace`). */
  namespaces?: string[];
  /** The Temporal UI decodes payloads through this remote codec (`<api>/codec`). */
  uiCodecEndpoint?: string;
}): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const dataDir = opts.dataDir ?? join(PROJECT_ROOT, '.data');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'temporal.log');
  const out = openSync(logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-ip',
    '127.0.0.1',
    '--ui-port',
    String(uiPort),
    '--db-filename',
    join(dataDir, 'temporal.db'),
    '--log-level',
    'warn',
    ...devServerSearchAttributeArgs(),
    ...(opts.namespaces ?? []).flatMap((namespace) => ['--namespace', namespace]),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  const child = spawn(opts.cli, args, { stdio: ['ignore', out, out] });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`temporal server start-dev exited with ${exited}; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(
          `Temporal dev server did not answer on ${address} within 60s (${(err as Error).message}); see ${logFile}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  opts.log?.(`[temporal] dev server on ${address} (data: ${join(dataDir, 'temporal.db')}, log: ${logFile})`);
  return {
    address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
