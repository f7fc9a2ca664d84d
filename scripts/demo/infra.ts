/** Starts the demo stack's real HAProxy and Prometheus as child processes, with generated configs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haproxyConfig, prometheusConfig, type HaproxyLayout, type SlotPorts } from './config-files.js';
import { httpOk, spawnManaged, waitUntil, type ManagedProcess } from './processes.js';

const READY_TIMEOUT_MS = 30_000;

export async function startHaproxy(opts: {
  binary: string;
  dataDir: string;
  layout: HaproxyLayout;
  /** Edits the generated configuration before it is written (e.g. a restart with other weights). */
  transformConfig?: (config: string) => string;
}): Promise<ManagedProcess> {
  const configFile = join(opts.dataDir, 'haproxy.cfg');
  const logFile = join(opts.dataDir, 'logs', 'haproxy.log');
  const config = haproxyConfig(opts.layout);
  writeFileSync(configFile, opts.transformConfig ? opts.transformConfig(config) : config);
  // Validate first: a config error is reported with HAProxy's own message, not as a timeout.
  const check = spawnSync(opts.binary, ['-c', '-q', '-f', configFile], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`haproxy rejected ${configFile}:\n${check.stdout}${check.stderr}`);
  }
  rmSync(opts.layout.socketPath, { force: true }); // a stale socket must not look like a ready HAProxy
  // -db: stay in the foreground as one process (no daemon, no master), so stopping it is one kill.
  const haproxy = spawnManaged({
    name: 'haproxy',
    command: opts.binary,
    args: ['-db', '-f', configFile],
    logFile,
  });
  await waitUntil(
    'haproxy',
    async () =>
      existsSync(opts.layout.socketPath) &&
      (await httpOk(`http://127.0.0.1:${opts.layout.exporterPort}/metrics`)),
    { timeoutMs: READY_TIMEOUT_MS, process: haproxy, logFile },
  );
  return haproxy;
}

/**
 * Spawns Prometheus and returns at once: it only scrapes its targets ~5 s after start (its target
 * discovery updates are throttled to 5 s), so the stack starts the rest meanwhile and then awaits
 * `ready` (TSDB open and every target scraped once).
 */
export function startPrometheus(opts: {
  binary: string;
  dataDir: string;
  port: number;
  scrapeIntervalSeconds: number;
  haproxyExporterPort: number;
  servicePorts: SlotPorts;
}): { process: ManagedProcess; ready: () => Promise<void> } {
  const configFile = join(opts.dataDir, 'prometheus.yml');
  const storage = join(opts.dataDir, 'prometheus');
  const logFile = join(opts.dataDir, 'logs', 'prometheus.log');
  mkdirSync(storage, { recursive: true });
  writeFileSync(configFile, prometheusConfig(opts));
  const prometheus = spawnManaged({
    name: 'prometheus',
    command: opts.binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${storage}`,
      '--storage.tsdb.retention.time=2d',
      `--web.listen-address=127.0.0.1:${opts.port}`,
      '--log.level=warn',
    ],
    logFile,
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const ready = async () => {
    await waitUntil('prometheus', () => httpOk(`${url}/-/ready`), {
      timeoutMs: READY_TIMEOUT_MS,
      process: prometheus,
      logFile,
    });
    // Ready means the TSDB is open; wait for one successful scrape of every target too (the targets
    // API lists this configuration's targets only, not series left from a previous run).
    const targets = 1 + Object.values(opts.servicePorts).flatMap((slots) => Object.values(slots)).length;
    await waitUntil(
      'prometheus scraping all targets',
      () =>
        httpOk(`${url}/api/v1/targets?state=active`, (body) => {
          const active = (JSON.parse(body) as { data?: { activeTargets?: { health?: string }[] } }).data
            ?.activeTargets;
          return active?.length === targets && active.every((target) => target.health === 'up');
        }),
      { timeoutMs: READY_TIMEOUT_MS, process: prometheus, logFile, intervalMs: 200 },
    );
  };
  return { process: prometheus, ready };
}
