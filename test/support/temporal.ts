/**
 * A real Temporal dev server (the CLI built from the Go module proxy) and a real worker whose
 * activities talk HTTP to the world server. One per test file.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { installRuntime } from '../../worker/telemetry.js';
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

export type Harness = {
  env: TestWorkflowEnvironment;
  world: World;
  worker: Worker;
  taskQueue: string;
  stop: () => Promise<void>;
};

/** The worker's Prometheus endpoint (one runtime per test process). */
export let workerMetricsUrl = '';

/**
 * A real Temporal dev server and a worker. The outside world is the sandbox by default; e2e tests
 * pass the demo environment's integrations (and its world) instead.
 */
export async function startHarness(
  opts: { world?: World; integrationsConfig?: IntegrationsConfig } = {},
): Promise<Harness> {
  if (!workerMetricsUrl) {
    const [port] = await freePorts(1);
    installRuntime({ logLevel: 'ERROR', metricsAddress: `127.0.0.1:${port}` });
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
  const worker = await createLaunchWorker({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue,
    integrations: createIntegrationRegistry(opts.integrationsConfig ?? world.integrationsConfig()),
    temporalUiUrl: TEST_UI_URL,
  });
  const running = worker.run();
  return {
    env,
    world,
    worker,
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
      if (ownWorld) await world.close();
      await env.teardown();
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
    const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    if (failed.length > 0) throw new Error(`${id} had ${failed.length} failed workflow task(s)`);
  }
}
