/** The HAProxy router's command order, injection refusal and timeouts against a fake runtime API. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadIntegrationsConfig } from '../../integrations/config.js';
import { runtimeApiCommand } from '../../integrations/haproxy/runtime-api.js';
import { createHaproxyTrafficRouter } from '../../integrations/haproxy/traffic-haproxy.js';

const checkout = { service: 'checkout', environment: 'production' };
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lc-hap-fake-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A fake runtime API on a unix socket: records commands, keeps weights, answers like HAProxy. */
async function fakeRuntimeApi(weights: Record<string, number>, options: { silent?: boolean } = {}) {
  const path = join(dir, `fake-${Math.random().toString(36).slice(2)}.sock`);
  const log = { connections: 0, commands: [] as string[], states: [] as string[] };
  const server: NetServer = createNetServer((connection) => {
    log.connections += 1;
    connection.on('data', (chunk) => {
      if (options.silent) return;
      const line = chunk.toString().trim();
      log.commands.push(line);
      const set = /^set weight (\S+) (\d+)$/.exec(line);
      const get = /^get weight (\S+)$/.exec(line);
      if (set?.[1] !== undefined) weights[set[1]] = Number(set[2]);
      log.states.push(JSON.stringify(weights));
      const w = get?.[1] !== undefined ? weights[get[1]] : undefined;
      connection.end(set ? '\n' : w !== undefined ? `${w} (initial 0)\n\n` : 'No such server.\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, log, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('haproxy traffic router (fake runtime API)', () => {
  it('raises before lowering, so both weights are never 0 at once', async () => {
    const weights = { 'b/canary': 0, 'b/stable': 100 };
    const fake = await fakeRuntimeApi(weights);
    try {
      const r = createHaproxyTrafficRouter(
        { type: 'haproxy', socket: fake.path, backend: 'b' },
        { name: 't' },
      );
      // percent → the server whose weight rises, which must be set first
      const steps: [number, string][] = [
        [100, 'canary'],
        [0, 'stable'],
        [30, 'canary'],
        [70, 'canary'],
        [20, 'stable'],
        [20, 'stable'], // nothing rises: the larger target (stable 80) goes first
      ];
      for (const [percent, first] of steps) {
        fake.log.commands.length = 0;
        await r.setCanaryPercent(checkout, percent);
        const sets = fake.log.commands.filter((c) => c.startsWith('set'));
        assert.equal(sets.length, 2, JSON.stringify(fake.log.commands));
        assert.match(sets[0] ?? '', new RegExp(`^set weight b/${first} `), `${percent}: ${sets}`);
        assert.deepEqual(weights, { 'b/canary': percent, 'b/stable': 100 - percent });
      }
      for (const state of fake.log.states) {
        const w = JSON.parse(state) as Record<string, number>;
        assert.ok((w['b/canary'] ?? 0) + (w['b/stable'] ?? 0) > 0, `both weights 0 in ${state}`);
      }
    } finally {
      await fake.close();
    }
  });

  it('refuses a target with a newline or ";" without touching the socket', async () => {
    const fake = await fakeRuntimeApi({});
    try {
      const r = createHaproxyTrafficRouter({ type: 'haproxy', socket: fake.path }, { name: 't' });
      const bad = [
        { service: 'checkout\nset weight checkout-production/stable 0', environment: 'production' },
        { service: 'checkout', environment: 'production;disable server x/y' },
        { service: 'check out', environment: 'production' },
        { service: 'a/b', environment: 'production' },
      ];
      for (const target of bad) {
        await assert.rejects(r.setCanaryPercent(target, 10), /refusing|invalid HAProxy backend name/);
        await assert.rejects(r.readCanaryPercent(target), /refusing|invalid HAProxy backend name/);
      }
      assert.equal(fake.log.connections, 0);
      assert.throws(() => runtimeApiCommand({ socket: fake.path }, 'get weight a/b\nshow info'), /unsafe/);
    } finally {
      await fake.close();
    }
  });

  it('times out on a runtime API that never answers', async () => {
    const fake = await fakeRuntimeApi({}, { silent: true });
    try {
      const r = createHaproxyTrafficRouter(
        { type: 'haproxy', socket: fake.path, timeoutMs: 100 },
        { name: 't' },
      );
      await assert.rejects(r.readCanaryPercent(checkout), /no answer within 100ms \(ETIMEDOUT\)/);
    } finally {
      await fake.close();
    }
  });

  it('validates the configuration', () => {
    const bad = {
      traffic: {
        both: { type: 'haproxy', socket: '/run/haproxy.sock', address: '127.0.0.1:9999' },
        neither: { type: 'haproxy' },
        spaced: { type: 'haproxy', socket: '/run/h.sock', backend: '{service} x' },
        same: { type: 'haproxy', socket: '/run/h.sock', stableServer: 'a', canaryServer: 'a' },
        relative: { type: 'haproxy', socket: 'run/h.sock' },
      },
    };
    assert.throws(
      () => loadIntegrationsConfig(bad),
      (error: Error) => {
        for (const path of [
          'both.socket',
          'neither.socket',
          'spaced.backend',
          'same.canaryServer',
          'relative.socket',
        ]) {
          assert.ok(error.message.includes(`traffic.${path}:`), `${path} in ${error.message}`);
        }
        return true;
      },
    );
    const ok = loadIntegrationsConfig({ traffic: { edge: { type: 'haproxy', socket: '/run/h.sock' } } });
    assert.deepEqual(ok.traffic?.edge, {
      type: 'haproxy',
      socket: '/run/h.sock',
      backend: '{service}-{environment}',
      stableServer: 'stable',
      canaryServer: 'canary',
    });
  });
});
