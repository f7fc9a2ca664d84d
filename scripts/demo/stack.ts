/**
 * The demo stack: a production-like world for Launch Control to launch against, on 127.0.0.1.
 *
 *   load generator ──► HAProxy frontends ──► backend checkout-<env>: servers stable / canary
 *                                                 │  (demo-service processes, one per slot)
 *   Prometheus ◄── scrapes HAProxy's exporter and the four demo services
 *   deploy controller: /deploy, /deployments, /health, /integrity (the HTTP adapters' APIs)
 *
 * `startDemoStack()` from code; `tsx scripts/demo/stack.ts [--data-dir=DIR]` in the foreground
 * (Ctrl-C stops everything).
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { demoBackendName, type SlotPorts } from './config-files.js';
import { startController } from './controller.js';
import { startHaproxy, startPrometheus } from './infra.js';
import { startLoadGenerator, type LoadGenerator } from './loadgen.js';
import {
  freePorts,
  killAllNow,
  killLeftovers,
  stopManaged,
  writePidFile,
  type Log,
  type ManagedProcess,
} from './processes.js';
import { ensureDemoBinaries } from './setup.js';
import { DemoSlots } from './slots.js';
import {
  DEMO_ENVIRONMENTS,
  DEMO_SERVICE,
  DEMO_SLOTS,
  INITIAL_VERSION,
  type DemoEnvironment,
  type DemoSlot,
  type DemoVersion,
  type VersionOverrides,
} from './versions.js';

export { DEMO_QUERIES, renderDemoQuery } from './queries.js';
export { demoBackendName } from './config-files.js';
export * from './versions.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export type DemoStackOptions = {
  /** Where configs, logs, the order stores, Prometheus' TSDB and the HAProxy socket go (default `.data/demo`). */
  dataDir?: string;
  log?: Log;
  /** Prometheus scrape interval in seconds (default 1). */
  scrapeInterval?: number;
  /** Load generator rate per environment (default 20 rps). */
  rps?: number;
  /** E.g. `{ '3.0.0-bad': { errorRate: 0.5 } }`. */
  versionOverrides?: VersionOverrides;
};

export type DemoStack = {
  urls: {
    frontends: Record<DemoEnvironment, string>;
    prometheus: string;
    haproxyExporter: string;
    controller: string;
  };
  /** HAProxy runtime API (level admin): `set weight checkout-production/canary 10`. */
  haproxySocket: string;
  dataDir: string;
  loadgen: LoadGenerator;
  versionOf(environment: DemoEnvironment, slot: DemoSlot): DemoVersion | undefined;
  /** Pids of every child process (HAProxy, Prometheus, the four demo services). */
  pids(): number[];
  integrationsConfig(): IntegrationsConfig;
  /** Stops Prometheus alone (outage tests: every query then fails, which must be inconclusive). */
  stopPrometheus(): Promise<void>;
  /** Stops HAProxy alone (outage tests: the runtime API and the frontends are gone). */
  stopHaproxy(): Promise<void>;
  /**
   * Starts HAProxy again after `stopHaproxy()`, on the same ports and socket. Its weights are the
   * configured ones (all traffic on stable) unless `weights` gives the split to come back with, as
   * a production HAProxy restarted with its server-state file would.
   */
  startHaproxy(opts?: {
    weights?: Partial<Record<DemoEnvironment, Record<DemoSlot, number>>>;
  }): Promise<void>;
  /** Stops the load, the controller and every child; keeps the data dir (logs, stores, TSDB). */
  stop(): Promise<void>;
};

export async function startDemoStack(opts: DemoStackOptions = {}): Promise<DemoStack> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const binaries = ensureDemoBinaries(log);
  const dataDir = resolve(opts.dataDir ?? join(PROJECT_ROOT, '.data', 'demo'));
  const haproxySocket = join(dataDir, 'haproxy.sock');
  if (Buffer.byteLength(haproxySocket) > MAX_SOCKET_PATH) {
    throw new Error(`data dir path too long for a unix socket (${haproxySocket}); choose a shorter one`);
  }
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const pidFile = join(dataDir, 'pids.json');
  killLeftovers(pidFile, dataDir, log);

  const [production, staging, exporterPort, prometheusPort, ...slotPortList] = await freePorts(
    4 + DEMO_ENVIRONMENTS.length * DEMO_SLOTS.length,
  );
  const frontendPorts: Record<DemoEnvironment, number> = { production: production!, staging: staging! };
  const servicePorts = Object.fromEntries(
    DEMO_ENVIRONMENTS.map((environment, e) => [
      environment,
      Object.fromEntries(DEMO_SLOTS.map((slot, s) => [slot, slotPortList[e * DEMO_SLOTS.length + s]!])),
    ]),
  ) as SlotPorts;

  const infra: ManagedProcess[] = [];
  const allProcesses = () => [...infra, ...slots.processes()];
  const slots: DemoSlots = new DemoSlots({
    dataDir,
    service: DEMO_SERVICE,
    log,
    versionOverrides: opts.versionOverrides ?? {},
    onProcessesChanged: () => writePidFile(pidFile, allProcesses()),
  });
  // If this process exits without stop() (process.exit, uncaught error), take the children along.
  const killOnExit = () => killAllNow(allProcesses());
  process.on('exit', killOnExit);

  let loadgen: LoadGenerator | null = null;
  let controller: Server | null = null;
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      await loadgen?.stop();
      await new Promise((done) => (controller ? controller.close(done) : done(undefined)));
      controller?.closeAllConnections();
      await Promise.all([slots.stopAll(), ...infra.map((process_) => stopManaged(process_))]);
      rmSync(pidFile, { force: true });
      rmSync(haproxySocket, { force: true }); // HAProxy leaves it behind; nothing listens on it any more
      process.off('exit', killOnExit);
      log('[demo] stack stopped');
    })());

  try {
    const prometheus = startPrometheus({
      binary: binaries.prometheus,
      dataDir,
      port: prometheusPort!,
      scrapeIntervalSeconds: opts.scrapeInterval ?? 1,
      haproxyExporterPort: exporterPort!,
      servicePorts,
    });
    infra.push(prometheus.process);
    writePidFile(pidFile, allProcesses());
    await Promise.all(
      DEMO_ENVIRONMENTS.flatMap((environment) =>
        DEMO_SLOTS.map((slot) =>
          slots.deploy(environment, slot, INITIAL_VERSION, servicePorts[environment][slot]),
        ),
      ),
    );
    const haproxyLayout = {
      frontendPorts,
      exporterPort: exporterPort!,
      servicePorts,
      socketPath: haproxySocket,
    };
    let haproxy = await startHaproxy({ binary: binaries.haproxy, dataDir, layout: haproxyLayout });
    infra.push(haproxy);
    writePidFile(pidFile, allProcesses());
    await prometheus.ready();
    const frontends = Object.fromEntries(
      DEMO_ENVIRONMENTS.map((environment) => [environment, `http://127.0.0.1:${frontendPorts[environment]}`]),
    ) as Record<DemoEnvironment, string>;
    const load = startLoadGenerator({ targets: frontends, ...(opts.rps ? { rps: opts.rps } : {}) });
    loadgen = load;
    const started = await startController({
      slots,
      slotPort: (environment, slot) => servicePorts[environment][slot],
      ordersFile: (environment) => join(dataDir, `${environment}-orders.jsonl`),
      acknowledgedOrders: (environment) => load.acknowledgedOrders(environment),
    });
    controller = started.server;
    const urls = {
      frontends,
      prometheus: `http://127.0.0.1:${prometheusPort}`,
      haproxyExporter: `http://127.0.0.1:${exporterPort}/metrics`,
      controller: started.url,
    };
    return {
      urls,
      haproxySocket,
      dataDir,
      loadgen: load,
      versionOf: (environment, slot) => slots.get(environment, slot)?.version,
      pids: () => allProcesses().flatMap((process_) => (process_.child.pid ? [process_.child.pid] : [])),
      integrationsConfig: () => ({
        metrics: { default: { type: 'prometheus', url: urls.prometheus } },
        deployer: {
          default: { type: 'webhook', url: urls.controller, productionEnvironments: ['production'] },
        },
        health: { default: { type: 'http', url: urls.controller } },
        integrity: { default: { type: 'http', url: urls.controller } },
        traffic: {
          default: {
            type: 'haproxy',
            socket: haproxySocket,
            backend: '{service}-{environment}',
            stableServer: 'stable',
            canaryServer: 'canary',
          },
        },
      }),
      stopPrometheus: () => stopManaged(prometheus.process),
      stopHaproxy: () => stopManaged(haproxy),
      startHaproxy: async (restart = {}) => {
        if (haproxy.isRunning()) throw new Error('haproxy is running; stopHaproxy() first');
        const weights = restart.weights ?? {};
        const next = await startHaproxy({
          binary: binaries.haproxy,
          dataDir,
          layout: haproxyLayout,
          transformConfig: (config) => withWeights(config, weights),
        });
        infra.splice(infra.indexOf(haproxy), 1, next);
        haproxy = next;
        writePidFile(pidFile, allProcesses());
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Rewrites the `weight` of the given servers in a generated HAProxy configuration. */
function withWeights(
  config: string,
  weights: Partial<Record<DemoEnvironment, Record<DemoSlot, number>>>,
): string {
  let backend = '';
  return config
    .split('\n')
    .map((line) => {
      const section = /^backend (\S+)$/.exec(line);
      if (section) backend = section[1]!;
      const server = /^ {2}server (\S+) /.exec(line);
      const environment = DEMO_ENVIRONMENTS.find((e) => demoBackendName(e) === backend);
      const weight = server && environment ? weights[environment]?.[server[1] as DemoSlot] : undefined;
      return weight === undefined ? line : line.replace(/ weight \d+ /, ` weight ${weight} `);
    })
    .join('\n');
}

/** Foreground CLI: start, print where everything is, report the load every 10 s, stop on Ctrl-C. */
async function main() {
  const dataDirArg = process.argv.slice(2).find((arg) => arg.startsWith('--data-dir='));
  const started = Date.now();
  const stack = await startDemoStack(dataDirArg ? { dataDir: dataDirArg.slice('--data-dir='.length) } : {});
  const { urls } = stack;
  console.log(
    `[demo] demo stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (data: ${stack.dataDir})`,
  );
  for (const environment of DEMO_ENVIRONMENTS) {
    console.log(
      `  ${environment.padEnd(10)} ${urls.frontends[environment]}  (HAProxy backend ${demoBackendName(environment)})`,
    );
  }
  console.log(`  Prometheus ${urls.prometheus}`);
  console.log(`  HAProxy    ${urls.haproxyExporter}  runtime API: ${stack.haproxySocket}`);
  console.log(`  controller ${urls.controller}  (/deploy, /deployments, /health, /integrity)`);
  console.log(`  integrations: ${JSON.stringify(stack.integrationsConfig())}`);
  const report = setInterval(() => {
    for (const environment of DEMO_ENVIRONMENTS) {
      const stats = stack.loadgen.stats(environment, 10_000);
      const versions = Object.entries(stats.byVersion)
        .map(([version, count]) => `${version} ${Math.round((100 * count) / Math.max(1, stats.answered))}%`)
        .join(', ');
      console.log(
        `[load] ${environment}: ${(stats.requests / 10).toFixed(1)} rps, ${versions || 'no answers'}, statuses ${JSON.stringify(stats.byStatus)}`,
      );
    }
  }, 10_000);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) return; // a second Ctrl-C while stopping: the exit handler still kills children
    console.log(`[demo] ${signal}: stopping…`);
    clearInterval(report);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`[demo] ${(error as Error).message}`);
    process.exit(1);
  });
}
