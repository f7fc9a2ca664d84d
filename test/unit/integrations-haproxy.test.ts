/** The HAProxy traffic router against a real haproxy (runtime API on a unix socket and on TCP). */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadIntegrationsConfig } from '../../integrations/config.js';
import {
  RuntimeApiError,
  runtimeApiAction,
  runtimeApiCommand,
} from '../../integrations/haproxy/runtime-api.js';
import {
  createHaproxyTrafficRouter,
  readHaproxyWeights,
  type HaproxyTrafficRouter,
} from '../../integrations/haproxy/traffic-haproxy.js';
import { ensureDemoBinaries } from '../../scripts/demo/setup.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';

/** Debian's haproxy, installed by the demo setup when missing (CI installs what it needs). */
let HAPROXY = '/usr/sbin/haproxy';
const checkout = { service: 'checkout', environment: 'production' };

let dir: string;
let socket: string;
let adminPort: number;
let frontendPort: number;
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
const upstreams: Server[] = [];
let router: HaproxyTrafficRouter;

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function upstream(name: string): Promise<number> {
  const server = createServer((_request, response) => response.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

function killHaproxy(): void {
  if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) haproxy.kill('SIGKILL');
}

/** Sends `count` requests through the frontend; counts the upstream names that answered. */
async function split(count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`http://127.0.0.1:${frontendPort}/`);
    const name = response.ok ? await response.text() : `http-${response.status}`;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

before(async () => {
  HAPROXY = ensureDemoBinaries((line) => console.log(line)).haproxy;
  dir = await mkdtemp(join(tmpdir(), 'lc-hap-'));
  socket = join(dir, 'admin.sock');
  const [stablePort, canaryPort] = [await upstream('stable'), await upstream('canary')];
  [adminPort, frontendPort] = [await freePort(), await freePort()];
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    `global
  stats socket ${socket} mode 600 level admin
  stats socket ipv4@127.0.0.1:${adminPort} level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:${frontendPort}
  default_backend checkout-production
backend checkout-production
  balance roundrobin
  server stable 127.0.0.1:${stablePort} weight 100
  server canary 127.0.0.1:${canaryPort} weight 0
`,
  );
  haproxy = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (chunk) => (haproxyLog += chunk));
  haproxy.stderr?.on('data', (chunk) => (haproxyLog += chunk));
  process.once('exit', killHaproxy); // even if the run dies before after()
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (haproxy.exitCode !== null) throw new Error(`haproxy exited ${haproxy.exitCode}: ${haproxyLog}`);
    try {
      if ((await runtimeApiCommand({ socket }, 'show info', { timeoutMs: 500 })).includes('Name: HAProxy'))
        break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`haproxy did not come up: ${error}; ${haproxyLog}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const config = loadIntegrationsConfig({ traffic: { edge: { type: 'haproxy', socket, timeoutMs: 2000 } } });
  router = createIntegrationRegistry(config).get('traffic', 'edge') as HaproxyTrafficRouter;
});

after(async () => {
  killHaproxy();
  await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe('haproxy traffic router (real haproxy)', () => {
  it('starts from the configured weights', async () => {
    assert.equal(await router.readCanaryPercent(checkout), 0);
    assert.deepEqual(await split(10), { stable: 10 });
  });

  it('sets 10 % and real requests split 10/90', async (t) => {
    await router.setCanaryPercent(checkout, 10);
    assert.equal(await router.readCanaryPercent(checkout), 10);
    const weights = await router.readWeights(checkout);
    assert.deepEqual(
      { backend: weights.backend, canary: weights.canary, stable: weights.stable },
      {
        backend: 'checkout-production',
        canary: { server: 'canary', weight: 10, initial: 0 },
        stable: { server: 'stable', weight: 90, initial: 100 },
      },
    );
    const seen = await split(200);
    t.diagnostic(`10 % canary over 200 requests: ${JSON.stringify(seen)}`);
    assert.equal((seen.canary ?? 0) + (seen.stable ?? 0), 200, JSON.stringify(seen));
    assert.ok(Math.abs((seen.canary ?? 0) - 20) <= 6, `canary got ${seen.canary} of 200`);
  });

  it('sets 0 and 100, idempotently', async () => {
    for (const percent of [100, 100]) {
      await router.setCanaryPercent(checkout, percent);
      assert.equal(await router.readCanaryPercent(checkout), 100);
    }
    assert.deepEqual(await split(20), { canary: 20 });
    for (const percent of [0, 0]) {
      await router.setCanaryPercent(checkout, percent);
      assert.equal(await router.readCanaryPercent(checkout), 0);
    }
    assert.deepEqual(await split(20), { stable: 20 });
    const raw = await readHaproxyWeights({ type: 'haproxy', address: `127.0.0.1:${adminPort}` }, checkout);
    assert.deepEqual(
      [raw.canary.weight, raw.stable.weight, raw.endpoint],
      [0, 100, `tcp:127.0.0.1:${adminPort}`],
    );
  });

  it('works over the TCP runtime API too', async () => {
    const tcp = createHaproxyTrafficRouter(
      { type: 'haproxy', address: `127.0.0.1:${adminPort}` },
      { name: 'traffic/tcp' },
    );
    await tcp.setCanaryPercent(checkout, 37);
    assert.equal(await router.readCanaryPercent(checkout), 37);
    await tcp.setCanaryPercent(checkout, 0);
  });

  it('refuses out-of-range and non-integer percents without changing anything', async () => {
    for (const bad of [-1, 101, 12.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(router.setCanaryPercent(checkout, bad), RangeError);
    }
    assert.equal(await router.readCanaryPercent(checkout), 0);
  });

  it('reports an unknown backend or server as an error', async () => {
    const unknown = { service: 'payments', environment: 'production' };
    const noBackend = (error: unknown) =>
      error instanceof RuntimeApiError && error.code === 'ANSWER' && /No such backend/.test(error.message);
    await assert.rejects(router.setCanaryPercent(unknown, 10), noBackend);
    await assert.rejects(router.readCanaryPercent(unknown), noBackend);
    const green = createHaproxyTrafficRouter(
      { type: 'haproxy', socket, canaryServer: 'green' },
      { name: 't' },
    );
    await assert.rejects(green.setCanaryPercent(checkout, 10), /No such server/);
    assert.equal(await router.readCanaryPercent(checkout), 0, 'a failed set must not half-apply');
  });

  it('throws when both weights are 0 (no traffic anywhere is not 0 %)', async () => {
    await runtimeApiAction({ socket }, 'set weight checkout-production/stable 0');
    const raw = await router.readWeights(checkout);
    assert.deepEqual([raw.canary.weight, raw.stable.weight], [0, 0]);
    await assert.rejects(router.readCanaryPercent(checkout), /both canary and stable have weight 0/);
    await router.setCanaryPercent(checkout, 0); // repairs the split
    assert.equal(await router.readCanaryPercent(checkout), 0);
  });

  it('fails clearly once haproxy is gone', async () => {
    const exited = new Promise((resolve) => haproxy?.once('exit', resolve));
    killHaproxy();
    await exited;
    const refused = (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.code === 'ECONNREFUSED' &&
      /is haproxy running\?/.test(error.message);
    await assert.rejects(router.setCanaryPercent(checkout, 10), refused);
    await assert.rejects(router.readCanaryPercent(checkout), refused);
    const tcp = createHaproxyTrafficRouter(
      { type: 'haproxy', address: `127.0.0.1:${adminPort}` },
      { name: 't' },
    );
    await assert.rejects(tcp.readCanaryPercent(checkout), refused);
    const missing = createHaproxyTrafficRouter(
      { type: 'haproxy', socket: join(dir, 'nope.sock') },
      { name: 't' },
    );
    await assert.rejects(missing.readCanaryPercent(checkout), /socket file not found.*ENOENT/);
  });
});
