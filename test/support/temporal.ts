/**
 * A real Temporal dev server (the CLI built from the Go module proxy) and a real worker whose
 * activities talk HTTP to the world server. One per test file.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { integrationsConfigSchema, type IntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { jsonLogLine } from '../../worker/telemetry.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { startWorld, type World } from './world.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { launch } from '../../workflows/launch.js';
import { fastPlan } from './plans.js';

/** The drill's known-bad build in `fastPlan`; the world serves it with a high error rate. */
export const KNOWN_BAD_VERSION = '3.0.0-bad';
/** Links in notifications point here in tests (only the text is checked). */
export const TEST_UI_URL = 'http://temporal-ui.test';
/**
 * The key the worker and the API share to prove identities, as production sets it on both: one
 * per test process, so every worker and app of a test file agree (`LAUNCH_CONTROL_IDENTITY_KEY`).
 */
process.env.LAUNCH_CONTROL_IDENTITY_KEY ??= randomBytes(32).toString('base64');

export type Harness = {
  env: TestWorkflowEnvironment;
  world: World;
  worker: Worker;
  taskQueue: string;
  /** Shuts the worker down (a worker outage); `startWorker` brings a new one up on the same queue. */
  stopWorker: () => Promise<void>;
  startWorker: () => Promise<void>;
  /**
   * The secret values of the worker's integrations configuration (the tokens its `tokenEnv`
   * variables hold). `stop()` fails if any workflow history of the namespace contains one.
   */
  secrets: string[];
  /** Workflows a test put a secret into on purpose (the scan's own positive control). */
  secretScanExclusions: Set<string>;
  stop: () => Promise<void>;
};

/**
 * The sandbox world's integrations, with a bearer token for every adapter that takes one
 * (`tokenEnv`): random per harness, held only in the worker's environment, so every launch of
 * the suite runs with real secrets that the final history scan looks for.
 */
function withSecretTokens(config: IntegrationsConfig): {
  config: IntegrationsConfig;
  env: NodeJS.ProcessEnv;
} {
  const env: NodeJS.ProcessEnv = {};
  const withTokens: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [kind, adapters] of Object.entries(config as Record<string, Record<string, object>>)) {
    withTokens[kind] = {};
    for (const [name, adapter] of Object.entries(adapters)) {
      const variable = `LC_TEST_${kind.toUpperCase()}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;
      const candidate = { ...adapter, tokenEnv: variable };
      const probe = integrationsConfigSchema.safeParse({ ...config, [kind]: { [name]: candidate } });
      if (probe.success) {
        withTokens[kind][name] = candidate;
        env[variable] = `lc-secret-${kind}-${randomUUID()}`;
      } else withTokens[kind][name] = { ...adapter };
    }
  }
  return { config: withTokens as unknown as IntegrationsConfig, env };
}

/** The values the `tokenEnv` variables of a configuration hold in `env`. */
export function secretValuesOf(config: IntegrationsConfig, env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const adapters of Object.values(config as Record<string, Record<string, { tokenEnv?: string }>>))
    for (const adapter of Object.values(adapters ?? {})) {
      const value = adapter.tokenEnv ? env[adapter.tokenEnv]?.trim() : undefined;
      if (value) values.add(value);
    }
  return [...values];
}

/**
 * A history as searchable text: its JSON (the proto messages' own `toJSON`, bytes in base64) and,
 * after it, every payload's `data` decoded, wherever it sits (inputs, results, failure details).
 */
export function searchableHistory(history: unknown): string {
  const json = JSON.stringify(history);
  const decoded: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    // A Buffer (payload data as the client hands it) serialises as {type: 'Buffer', data: [bytes]}.
    else if (node && typeof node === 'object' && (node as { type?: unknown }).type === 'Buffer')
      decoded.push(Buffer.from((node as { data: number[] }).data).toString('utf8'));
    else if (node && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (key === 'data' && typeof value === 'string')
          decoded.push(Buffer.from(value, 'base64').toString('utf8'));
        else walk(value);
      }
  };
  walk(JSON.parse(json));
  return `${json}\n${decoded.join('\n')}`;
}

export type SecretFinding = { workflowId: string; runId: string; secret: string };

/**
 * Fetches every run of every workflow in the client's namespace and looks for each secret, as
 * text and base64-encoded, in its history (event attributes and decoded payloads).
 */
export async function scanHistoriesForSecrets(
  client: Client,
  secrets: string[],
  exclude: Set<string> = new Set(),
): Promise<{ runs: number; events: number; findings: SecretFinding[] }> {
  const findings: SecretFinding[] = [];
  let runs = 0;
  let events = 0;
  const needles = secrets.filter((s) => s.length >= 8);
  for await (const execution of client.workflow.list()) {
    if (exclude.has(execution.workflowId)) continue;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    runs += 1;
    events += history.events?.length ?? 0;
    const text = searchableHistory(history);
    for (const secret of needles)
      if (text.includes(secret) || text.includes(Buffer.from(secret).toString('base64')))
        findings.push({ workflowId: execution.workflowId, runId: execution.runId, secret });
  }
  return { runs, events, findings };
}

/** The worker's Prometheus endpoint (one runtime per test process). */
export let workerMetricsUrl = '';

/** The worker's log lines (JSON) of this test process, for the secret scan. */
export const workerLogs: string[] = [];
const MAX_KEPT_LOG_LINES = 200_000;

/**
 * A real Temporal dev server and a worker. The outside world is the sandbox by default; e2e tests
 * pass the demo environment's integrations (and its world) instead.
 */
export async function startHarness(
  opts: { world?: World; integrationsConfig?: IntegrationsConfig } = {},
): Promise<Harness> {
  if (!workerMetricsUrl) {
    const [port] = await freePorts(1);
    // As `installRuntime` (worker/telemetry.ts) sets it up, except for the logger: the worker's
    // logs (workflows and activities, INFO and up) are kept for the secret scan; errors printed.
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => {
        const line = jsonLogLine(entry);
        if (workerLogs.length < MAX_KEPT_LOG_LINES) workerLogs.push(line);
        if (entry.level === 'ERROR') console.error(line);
      }),
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress: `127.0.0.1:${port}`,
            countersTotalSuffix: true,
            useSecondsForDurations: true,
          },
        },
      },
    });
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  }
  const path = await resolveTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ui: false,
    },
  });
  const ownWorld = !opts.world;
  const world = opts.world ?? (await startWorld());
  world.badVersions.add(KNOWN_BAD_VERSION);
  const taskQueue = `lc-test-${randomUUID().slice(0, 8)}`;
  const integrations = opts.integrationsConfig
    ? { config: opts.integrationsConfig, env: process.env }
    : withSecretTokens(world.integrationsConfig());
  const secrets = secretValuesOf(integrations.config, integrations.env);
  const newWorker = () =>
    createLaunchWorker({
      connection: env.nativeConnection,
      client: env.client,
      namespace: env.namespace ?? 'default',
      taskQueue,
      integrations: createIntegrationRegistry(integrations.config, { env: integrations.env }),
      temporalUiUrl: TEST_UI_URL,
    });
  let worker: Worker | null = await newWorker();
  let running: Promise<void> = worker.run();
  const stopWorker = async () => {
    worker?.shutdown();
    await running;
    worker = null;
  };
  const secretScanExclusions = new Set<string>();
  return {
    env,
    world,
    get worker() {
      if (!worker) throw new Error('the worker is stopped');
      return worker;
    },
    taskQueue,
    secrets,
    secretScanExclusions,
    stopWorker,
    startWorker: async () => {
      if (worker) return;
      worker = await newWorker();
      running = worker.run();
    },
    stop: async () => {
      await stopWorker();
      if (ownWorld) await world.close();
      try {
        // Every history this test file produced, scanned for the integrations' secrets.
        const scan = await scanHistoriesForSecrets(env.client, secrets, secretScanExclusions);
        if (scan.findings.length > 0)
          throw new Error(
            `secrets of the integrations configuration found in workflow history: ${scan.findings
              .map((f) => `${f.workflowId} (run ${f.runId})`)
              .join(', ')}`,
          );
        const loggedSecrets = secrets.filter((secret) => workerLogs.some((line) => line.includes(secret)));
        if (loggedSecrets.length > 0)
          throw new Error(
            `${loggedSecrets.length} secret(s) of the integrations configuration in the worker's logs`,
          );
      } finally {
        await env.teardown();
      }
    },
  };
}

/** Polls a query until the predicate holds (or fails the test after `timeoutMs`). */
export async function eventually<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (predicate(last)) return last;
    } catch {
      // query before the first workflow task: try again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** Starts a `launch` of `fastPlan` for its own service (tests run concurrently, one service each). */
export function startLaunch(h: Harness, service: string, overrides: Partial<LaunchPlanInput> = {}) {
  const plan = fastPlan({ service, launchId: `${service}-launch`, ...overrides });
  return h.env.client.workflow.start(launch, {
    taskQueue: h.taskQueue,
    workflowId: plan.launchId!,
    args: [{ plan }],
  });
}

/** No workflow task of these workflows failed (a handler threw, a bug, non-determinism). */
export async function assertNoFailedWorkflowTasks(h: Harness, workflowIds: string[]) {
  for (const id of workflowIds) {
    const history = await h.env.client.workflow.getHandle(id).fetchHistory();
    // UNHANDLED_COMMAND (cause 1) is the server's protocol, not a failure of workflow code: a signal
    // arrived while the task completed the workflow, so the task runs again with it.
    const failed = (history.events ?? []).filter(
      (e) => e.workflowTaskFailedEventAttributes && e.workflowTaskFailedEventAttributes.cause !== 1,
    );
    if (failed.length > 0)
      throw new Error(
        `${id} had ${failed.length} failed workflow task(s): ${failed
          .map((e) => {
            const a = e.workflowTaskFailedEventAttributes!;
            return `${String(a.cause)} ${a.failure?.message ?? ''}`.slice(0, 500);
          })
          .join('; ')}`,
      );
  }
}
