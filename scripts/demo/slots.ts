/**
 * The four slots of the demo service: one demo-service process per (environment, slot) on a fixed
 * port, so HAProxy and Prometheus configs never change. A deploy starts the new version's process
 * first (it loads while the old one still serves), then stops the old one; the new process binds the
 * port as soon as it is free, so the slot is unreachable for a few milliseconds only.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpOk, spawnManaged, stopManaged, waitUntil, type Log, type ManagedProcess } from './processes.js';
import {
  profileOf,
  type DemoEnvironment,
  type DemoSlot,
  type DemoVersion,
  type VersionOverrides,
} from './versions.js';

const SERVICE_SCRIPT = fileURLToPath(new URL('./demo-service.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export type SlotState = {
  environment: DemoEnvironment;
  slot: DemoSlot;
  port: number;
  version: DemoVersion;
  deploymentId: string;
  deployedAt: string;
  process: ManagedProcess;
};

export type Deployment = { deploymentId: string; version: DemoVersion; previousVersion: DemoVersion | null };

export class DemoSlots {
  private readonly slots = new Map<string, SlotState>();
  /** One deploy at a time per slot; later ones queue behind it. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly opts: {
      dataDir: string;
      service: string;
      log: Log;
      versionOverrides: VersionOverrides;
      /** Called whenever the set of running processes changes (for the pid file). */
      onProcessesChanged: () => void;
    },
  ) {}

  get(environment: DemoEnvironment, slot: DemoSlot): SlotState | undefined {
    return this.slots.get(`${environment}/${slot}`);
  }

  processes(): ManagedProcess[] {
    return [...this.slots.values()].map((state) => state.process);
  }

  /** Starts (or replaces) the slot's process with `version`; resolves once its /health answers. */
  deploy(
    environment: DemoEnvironment,
    slot: DemoSlot,
    version: DemoVersion,
    port: number,
  ): Promise<Deployment> {
    const key = `${environment}/${slot}`;
    const previous = this.pending.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.replace(environment, slot, version, port));
    this.pending.set(key, run);
    return run;
  }

  private async replace(
    environment: DemoEnvironment,
    slot: DemoSlot,
    version: DemoVersion,
    port: number,
  ): Promise<Deployment> {
    if (this.closed) throw new Error('the demo stack is stopping');
    const key = `${environment}/${slot}`;
    const old = this.slots.get(key);
    const deploymentId = `${this.opts.service}-${environment}-${slot}-${version}-${randomUUID().slice(0, 8)}`;
    const profile = profileOf(version, this.opts.versionOverrides);
    const logFile = join(this.opts.dataDir, 'logs', `${this.opts.service}-${environment}-${slot}.log`);
    const started = Date.now();
    const process_ = spawnManaged({
      name: `demo-service ${key} ${version}`,
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        SERVICE_SCRIPT,
        `--version=${version}`,
        `--port=${port}`,
        `--environment=${environment}`,
        `--slot=${slot}`,
        `--error-rate=${profile.errorRate}`,
        `--latency-ms=${profile.latencyMs}`,
        `--data-dir=${this.opts.dataDir}`,
        `--instance=${deploymentId}`,
      ],
      cwd: PROJECT_ROOT, // where `tsx` resolves from
      logFile,
      ipc: true,
    });
    const state: SlotState = {
      environment,
      slot,
      port,
      version,
      deploymentId,
      deployedAt: new Date().toISOString(),
      process: process_,
    };
    const loaded = new Promise<void>((resolve) => {
      process_.child.on('message', (message: { type?: string }) => {
        if (message?.type === 'binding') resolve();
      });
      void process_.exited.then(() => resolve());
    });
    try {
      await loaded; // the new build is loaded and waiting for the port
      if (!process_.isRunning())
        throw new Error(`${key} ${version} exited (${await process_.exited}); see ${logFile}`);
      if (old) await stopManaged(old.process);
      await waitUntil(
        `${key} ${version}`,
        // Its own instance id: a health answer from the old process does not count.
        () => httpOk(`http://127.0.0.1:${port}/health`, (body) => body.includes(deploymentId)),
        { timeoutMs: READY_TIMEOUT_MS, process: process_, logFile, intervalMs: 20 },
      );
    } catch (error) {
      await stopManaged(process_);
      if (old && !old.process.isRunning()) this.slots.delete(key); // the slot is down now
      this.opts.onProcessesChanged();
      throw error;
    }
    this.slots.set(key, state);
    this.opts.onProcessesChanged();
    this.opts.log(
      `[demo] ${key}: ${old ? `${old.version} → ` : ''}${version} on 127.0.0.1:${port} (${Date.now() - started} ms)`,
    );
    return { deploymentId, version, previousVersion: old?.version ?? null };
  }

  /** Stops every slot process (waiting for queued deploys first, so none starts after this). */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending.values()]);
    await Promise.all(this.processes().map((process_) => stopManaged(process_)));
    this.slots.clear();
  }
}
