/**
 * Item 4: API latency. The API runs in its own process against a dev server holding running
 * launches (parked at the go/no-go, so they are in the worker's cache as in normal operation).
 * autocannon drives `GET /launches/:id` and `GET /launches` at a fixed rate (200 rps) and at
 * saturation (closed loop, 10 connections). Baseline in the same run: the same data through the
 * Temporal client from the bench process (the `status` query; a visibility list of the same
 * query and page size), at the same fixed rate and the same concurrency.
 */
import type { Client } from '@temporalio/client';
import autocannon, { type AutocannonResult } from 'autocannon';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnManaged, stopManaged } from '../../scripts/demo/processes.js';
import { startWorld } from '../../scripts/sandbox/world.js';
import { fastPlan } from '../../test/support/plans.js';
import { spawnWorker } from '../concurrent/run.js';
import { statusQuery } from '../../workflows/messages.js';
import { BENCH_DATA_DIR, startBenchTemporal } from '../lib/temporal.js';
import { Cleanup, progress, sleep, summarize, type Summary } from '../lib/util.js';

const API_SCRIPT = fileURLToPath(new URL('./api-process.ts', import.meta.url));
const RATE = 200;
const CONNECTIONS = 10;
const LIST_LIMIT = 50;

export type Load = { p50: number; p99: number; rps: number; errors: number; n: number };
export type ApiResult = {
  launches: number;
  durationSeconds: number;
  fixedRate: { status: Load; statusDirect: Load; list: Load; listDirect: Load };
  saturation: { status: Load; statusDirect: Load; list: Load; listDirect: Load };
};

function fromAutocannon(r: AutocannonResult): Load {
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    errors: r.errors + r.timeouts + r.non2xx,
    n: r['2xx'],
  };
}

/** The same load shapes autocannon makes, for a direct client call. */
async function directLoad(
  call: () => Promise<unknown>,
  opts: { durationSeconds: number; rate?: number; concurrency: number },
): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + opts.durationSeconds * 1000;
  const one = async () => {
    const t = performance.now();
    try {
      await call();
      latencies.push(performance.now() - t);
    } catch {
      errors += 1;
    }
  };
  const started = performance.now();
  if (opts.rate) {
    // Open loop at a fixed rate, at most `concurrency` in flight (as autocannon's connections).
    let inFlight = 0;
    let sent = 0;
    const pending: Promise<void>[] = [];
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - started) / 1000) * opts.rate);
      while (sent < due && inFlight < opts.concurrency) {
        sent += 1;
        inFlight += 1;
        pending.push(one().finally(() => (inFlight -= 1)));
      }
      await sleep(1);
    }
    await Promise.all(pending);
  } else {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < end) await one();
      }),
    );
  }
  const s: Summary = summarize(latencies);
  return {
    p50: Math.round(s.p50 * 10) / 10,
    p99: Math.round(s.p99 * 10) / 10,
    rps: latencies.length / ((performance.now() - started) / 1000),
    errors,
    n: latencies.length,
  };
}

async function listDirect(client: Client) {
  const items: unknown[] = [];
  for await (const execution of client.workflow.list({
    query: `WorkflowType = 'launch'`,
    pageSize: LIST_LIMIT,
  })) {
    items.push(execution);
    if (items.length >= LIST_LIMIT) break;
  }
  return items;
}

export async function runApi(
  opts: { durationSeconds: number; launches?: number },
  cleanup: Cleanup,
): Promise<ApiResult> {
  const launches = opts.launches ?? 20;
  const world = await startWorld();
  cleanup.add('world (api)', () => world.close());
  const temporal = await startBenchTemporal('api');
  cleanup.add('temporal (api)', () => temporal.stop());
  const taskQueue = `bench-api-${randomUUID().slice(0, 8)}`;
  // The worker answers the queries: in its own process, so the bench's load generator does not share its CPU.
  await spawnWorker('launch', temporal, taskQueue, world, cleanup);

  progress(`api: ${launches} launches, parked at the go/no-go…`);
  const ids = Array.from({ length: launches }, (_, i) => `api-${i}`);
  for (const id of ids) {
    await temporal.client.workflow.start('launch', {
      taskQueue,
      workflowId: id,
      args: [
        {
          plan: fastPlan({
            service: id,
            launchId: id,
            approvals: { ...fastPlan().approvals!, timeout: '1h' },
          }),
        },
      ],
    });
  }
  const target = ids[0]!;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const statuses = await Promise.all(
      ids.map((id) =>
        temporal.client.workflow
          .getHandle(id)
          .query(statusQuery)
          .catch(() => null),
      ),
    );
    if (statuses.every((s) => s?.pendingApprovals.some((p) => p.signal === 'goNoGo'))) break;
    if (Date.now() > deadline) throw new Error('launches did not reach the go/no-go within 120 s');
    await sleep(1_000);
  }
  // Visibility catches up a little after the workflows.
  await sleep(2_000);

  const api = spawnManaged({
    name: 'api',
    command: process.execPath,
    args: ['--import', 'tsx', API_SCRIPT],
    logFile: join(BENCH_DATA_DIR, 'logs', 'api.log'),
    ipc: true,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      BENCH_TEMPORAL_ADDRESS: temporal.address,
      BENCH_TASK_QUEUE: taskQueue,
    },
  });
  cleanup.add('api process', async () => {
    if (api.isRunning()) api.child.send?.({ stop: true });
    await Promise.race([api.exited, sleep(5_000)]);
    await stopManaged(api, 2_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('API not ready after 60 s')), 60_000);
    api.child.on('message', (m: { url?: string }) => {
      if (m?.url) {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
    void api.exited.then((how) => reject(new Error(`API exited (${how}); see .data/bench/logs/api.log`)));
  });
  const statusUrl = `${url}/launches/${target}`;
  const listUrl = `${url}/launches?limit=${LIST_LIMIT}`;
  const check = await fetch(listUrl).then((r) => r.json() as Promise<{ items: unknown[] }>);
  if (check.items.length < Math.min(launches, LIST_LIMIT))
    progress(`api: warning: the list has ${check.items.length} launches`);

  const duration = opts.durationSeconds;
  const cannon = (u: string, rate?: number) =>
    autocannon({ url: u, connections: CONNECTIONS, duration, ...(rate ? { overallRate: rate } : {}) }).then(
      fromAutocannon,
    );
  const status = () => temporal.client.workflow.getHandle(target).query(statusQuery);
  const list = () => listDirect(temporal.client);
  // Warm-up of both paths (connections, JIT).
  await autocannon({ url: statusUrl, connections: 2, duration: 2 });
  await directLoad(status, { durationSeconds: 2, concurrency: 2 });

  const run = async (label: string, fn: () => Promise<Load>) => {
    progress(`api: ${label} (${duration} s)…`);
    const load = await fn();
    progress(
      `api:   p50 ${load.p50} ms, p99 ${load.p99} ms, ${load.rps.toFixed(0)} rps, ${load.errors} errors`,
    );
    return load;
  };
  const fixedRate = {
    status: await run(`GET /launches/:id at ${RATE} rps`, () => cannon(statusUrl, RATE)),
    statusDirect: await run(`status query through the client at ${RATE} rps`, () =>
      directLoad(status, { durationSeconds: duration, rate: RATE, concurrency: CONNECTIONS }),
    ),
    list: await run(`GET /launches at ${RATE} rps`, () => cannon(listUrl, RATE)),
    listDirect: await run(`visibility list through the client at ${RATE} rps`, () =>
      directLoad(list, { durationSeconds: duration, rate: RATE, concurrency: CONNECTIONS }),
    ),
  };
  const saturation = {
    status: await run(`GET /launches/:id at saturation (${CONNECTIONS} connections)`, () =>
      cannon(statusUrl),
    ),
    statusDirect: await run(`status query at saturation (${CONNECTIONS} in flight)`, () =>
      directLoad(status, { durationSeconds: duration, concurrency: CONNECTIONS }),
    ),
    list: await run(`GET /launches at saturation`, () => cannon(listUrl)),
    listDirect: await run(`visibility list at saturation`, () =>
      directLoad(list, { durationSeconds: duration, concurrency: CONNECTIONS }),
    ),
  };
  return { launches, durationSeconds: duration, fixedRate, saturation };
}
