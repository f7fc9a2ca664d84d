/**
 * The demo stack end to end, against the real HAProxy and Prometheus: traffic split through the
 * HAProxy runtime API, deploys through the controller, the known-bad build visible in Prometheus,
 * data integrity, and no process left behind (after stop(), SIGTERM, or SIGKILL of the stack).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadIntegrationsConfig } from '../../integrations/config.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { DEMO_QUERIES, renderDemoQuery, startDemoStack, type DemoStack } from '../../scripts/demo/stack.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One command on HAProxy's runtime API (the socket answers and closes). */
function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer.trim()));
    socket.on('error', reject);
    socket.write(`${command}\n`);
  });
}

type PromResult = { metric: Record<string, string>; value: [number, string] }[];

async function promQuery(stack: DemoStack, query: string): Promise<PromResult> {
  const url = `${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { result: PromResult } };
  assert.equal(body.status, 'success', `query failed: ${query}`);
  return body.data.result;
}

async function errorRatio(stack: DemoStack, environment: string): Promise<number> {
  const result = await promQuery(stack, renderDemoQuery('errorRatio', { service: 'checkout', environment }));
  return result.length === 1 ? Number(result[0]!.value[1]) : Number.NaN;
}

async function postJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Pids of live processes whose command line mentions `marker` (our data dir), other than us. */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('demo stack', () => {
  let stack: DemoStack;
  let dataDir: string;
  const timings: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lc-demo-'));
    const started = Date.now();
    stack = await startDemoStack({ dataDir, log: () => undefined });
    timings.push(`start ${Date.now() - started} ms`);
  });

  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`[timings] ${timings.join('; ')}`);
  });

  it('routes half the production traffic to a 2.0.0 canary when both weights are 50', async () => {
    const deployStarted = Date.now();
    const deploy = await postJson(`${stack.urls.controller}/deploy`, {
      service: 'checkout',
      environment: 'production',
      slot: 'canary',
      version: '2.0.0',
    });
    timings.push(`deploy ${Date.now() - deployStarted} ms`);
    assert.equal(deploy.status, 200);
    assert.equal(typeof deploy.body.deploymentId, 'string');
    assert.equal(stack.versionOf('production', 'canary'), '2.0.0');
    const deployed = await (
      await fetch(`${stack.urls.controller}/deployments/checkout/production/canary`)
    ).json();
    assert.equal((deployed as { version: string }).version, '2.0.0');

    assert.equal(await haproxyCommand(stack.haproxySocket, 'set weight checkout-production/canary 50'), '');
    assert.equal(await haproxyCommand(stack.haproxySocket, 'set weight checkout-production/stable 50'), '');
    assert.match(await haproxyCommand(stack.haproxySocket, 'get weight checkout-production/canary'), /^50 /);
    const switched = Date.now();
    await sleep(4_000);
    const share = stack.loadgen.canaryShare('production', '2.0.0', Date.now() - switched - 200);
    timings.push(
      `canary share ${share.toFixed(3)} over ${stack.loadgen.stats('production', 3_800).answered} answers`,
    );
    assert.ok(Math.abs(share - 0.5) <= 0.1, `2.0.0 served ${share} of production`);
    assert.equal(stack.loadgen.canaryShare('staging', '2.0.0', 4_000), 0);
  });

  it('refuses unknown versions and proxies slot health', async () => {
    const refused = await postJson(`${stack.urls.controller}/deploy`, {
      service: 'checkout',
      environment: 'staging',
      slot: 'canary',
      version: '9.9.9',
    });
    assert.equal(refused.status, 400);
    const health = await fetch(`${stack.urls.controller}/health/checkout/staging/stable`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { version: string }).version, '1.0.0');
    assert.equal((await fetch(`${stack.urls.controller}/health/checkout/qa/stable`)).status, 404);
  });

  it('every demo query returns exactly one sample', async () => {
    for (const name of Object.keys(DEMO_QUERIES) as (keyof typeof DEMO_QUERIES)[]) {
      const result = await promQuery(
        stack,
        renderDemoQuery(name, { service: 'checkout', environment: 'production' }),
      );
      assert.equal(result.length, 1, `${name} returned ${result.length} samples`);
      assert.ok(Number.isFinite(Number(result[0]!.value[1])), `${name} = ${result[0]!.value[1]}`);
    }
    // No data stays no data: an unknown environment is empty, not a healthy 0.
    assert.deepEqual(
      await promQuery(stack, renderDemoQuery('errorRatio', { service: 'checkout', environment: 'qa' })),
      [],
    );
  });

  it("answers Launch Control's own adapters", async () => {
    const registry = createIntegrationRegistry(loadIntegrationsConfig(stack.integrationsConfig()));
    const target = { service: 'checkout', environment: 'staging', slot: 'canary' } as const;
    const deployer = registry.get('deployer', 'default');
    assert.match((await deployer.deploy(target, '2.0.0')).deploymentId, /2\.0\.0/);
    assert.equal(await deployer.currentVersion(target), '2.0.0');
    const probe = await registry.get('health', 'default').probe(target);
    assert.equal(probe.ok, true, probe.detail);
    const integrity = await registry.get('integrity', 'default').probe('checkout', 'staging');
    assert.equal(integrity.missing, 0);
    const query = renderDemoQuery('errorRatio', { service: 'checkout', environment: 'staging' });
    const sample = await registry.get('metrics', 'default').query(query);
    assert.equal(sample.status, 'ok', JSON.stringify(sample));
  });

  it('shows the known-bad build in the staging error ratio, not in production', async () => {
    const deployStarted = Date.now();
    const deploy = await postJson(`${stack.urls.controller}/deploy`, {
      service: 'checkout',
      environment: 'staging',
      slot: 'stable',
      version: '3.0.0-bad',
    });
    assert.equal(deploy.status, 200);
    let staging = Number.NaN;
    while (!(staging > 0.1)) {
      assert.ok(Date.now() - deployStarted < 15_000, `staging error ratio still ${staging} after 15 s`);
      await sleep(500);
      staging = await errorRatio(stack, 'staging');
    }
    timings.push(`staging error ratio ${staging.toFixed(3)} after ${Date.now() - deployStarted} ms`);
    const production = await errorRatio(stack, 'production');
    assert.ok(production < 0.02, `production error ratio ${production}`);
  });

  it('has every acknowledged order in the store', async () => {
    for (const environment of ['production', 'staging']) {
      const response = await fetch(`${stack.urls.controller}/integrity/checkout/${environment}`);
      const report = (await response.json()) as Record<string, number>;
      assert.equal(response.status, 200);
      assert.ok(report.acknowledged_writes! > 0, `${environment}: no acknowledged writes`);
      assert.equal(report.missing, 0);
      assert.equal(report.verified_writes, report.acknowledged_writes);
    }
  });

  it('stop() leaves no child process behind', async () => {
    const pids = stack.pids();
    assert.equal(pids.length, 6); // haproxy, prometheus, four demo services
    const stopStarted = Date.now();
    await stack.stop();
    timings.push(`stop ${Date.now() - stopStarted} ms`);
    assert.deepEqual(pids.filter(isAlive), []);
    assert.deepEqual(processesMentioning(dataDir), []);
  });
});

describe('demo stack CLI', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`leaves no process behind when the stack gets ${signal}`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'lc-demo-cli-'));
      const cli = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/demo/stack.ts', `--data-dir=${dataDir}`],
        {
          cwd: PROJECT_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      try {
        await waitFor('the stack to start', () => output.includes('demo stack up'), 30_000);
        const children = processesMentioning(dataDir).filter((pid) => pid !== cli.pid);
        assert.equal(children.length, 6, output); // haproxy, prometheus, four demo services
        cli.kill(signal);
        await exited;
        await waitFor(
          `no process left after ${signal}`,
          () => processesMentioning(dataDir).length === 0,
          5_000,
        );
      } finally {
        cli.kill('SIGKILL');
        for (const pid of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
