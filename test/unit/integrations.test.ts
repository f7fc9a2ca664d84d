/** The HTTP adapters against the test world, including their failure paths. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadIntegrationsConfig, type IntegrationsConfig } from '../../integrations/config.js';
import { HttpError } from '../../integrations/http/client.js';
import {
  createIntegrationRegistry,
  type ConfiguredIntegrationRegistry,
} from '../../integrations/registry.js';
import { UnknownIntegrationError, type MetricSample } from '../../integrations/types.js';
import { BAD_PROFILE, GOOD_PROFILE, startWorld, type World } from '../support/world.js';

const shop = { service: 'shop', environment: 'prod' };
const errorRatioQuery = 'lc_error_ratio{service="shop", environment="prod"}';

let world: World;
let registry: ConfiguredIntegrationRegistry;

beforeEach(async () => {
  world = await startWorld();
  registry = createIntegrationRegistry(loadIntegrationsConfig(world.integrationsConfig()));
});
afterEach(() => world.close());

/** A URL on which nothing listens (a port that was just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function assertInconclusive(sample: MetricSample, status: MetricSample['status']): void {
  assert.equal(sample.status, status, `expected ${status}, got ${JSON.stringify(sample)}`);
  assert.equal(sample.value, null);
}

describe('prometheus metrics', () => {
  it('blends the canary and stable profiles by the traffic split', async () => {
    world.setVersion('shop', 'prod', 'stable', '2.0.0');
    world.setVersion('shop', 'prod', 'canary', '3.0.0');
    world.badVersions.add('3.0.0');
    await registry.get('traffic', 'default').setCanaryPercent(shop, 10);
    const sample = await registry.get('metrics', 'default').query(errorRatioQuery);
    assert.equal(sample.status, 'ok');
    const expected = 0.1 * BAD_PROFILE.lc_error_ratio + 0.9 * GOOD_PROFILE.lc_error_ratio;
    assert.ok(Math.abs((sample.value ?? NaN) - expected) < 1e-9, `got ${sample.value}, expected ${expected}`);
    assert.deepEqual(await registry.get('metrics', 'default').query('0.5'), { status: 'ok', value: 0.5 });
  });

  it('reports empty, nan, non-scalar and error answers as inconclusive', async () => {
    const metrics = registry.get('metrics', 'default');
    assertInconclusive(await metrics.query('lc_unknown_metric{service="shop"}'), 'empty');
    world.setMetric('lc_error_ratio', 'nan');
    assertInconclusive(await metrics.query(errorRatioQuery), 'nan');
    world.setMetric('lc_error_ratio', 'non-scalar');
    assertInconclusive(await metrics.query(errorRatioQuery), 'non-scalar');
    world.setMetric('lc_error_ratio', 'error');
    assertInconclusive(await metrics.query(errorRatioQuery), 'error');
    world.setMetric('lc_error_ratio', null);
    assertInconclusive(await metrics.query(`${errorRatioQuery}[5m]`), 'non-scalar');
    world.setVersion('shop', 'prod', 'stable', '1.0.0');
    world.setVersion('cart', 'prod', 'stable', '1.0.0');
    assertInconclusive(await metrics.query('lc_error_ratio'), 'non-scalar'); // shop and cart
    const malformed = await metrics.query('lc_error_ratio{service=shop}');
    assertInconclusive(malformed, 'error');
    assert.match(malformed.status === 'ok' ? '' : malformed.error, /bad_data/);
    world.failNext('/api/v1/query', 1, 503);
    assertInconclusive(await metrics.query(errorRatioQuery), 'error');
    assert.equal((await metrics.query(errorRatioQuery)).status, 'ok');
  });

  it('reports a timeout or an unreachable server as error instead of throwing', async () => {
    const config = world.integrationsConfig();
    config.metrics = {
      slow: { type: 'prometheus', url: world.url, timeoutMs: 50 },
      down: { type: 'prometheus', url: await closedPortUrl() },
    };
    const local = createIntegrationRegistry(config);
    world.delayNext('/api/v1/query', 1, 1000);
    const slow = await local.get('metrics', 'slow').query(errorRatioQuery);
    assertInconclusive(slow, 'error');
    assert.match(slow.status === 'ok' ? '' : slow.error, /timed out after 50ms/);
    assertInconclusive(await local.get('metrics', 'down').query(errorRatioQuery), 'error');
  });
});

describe('traffic, deployer, health and config source', () => {
  it('sets and reads the canary share, refusing invalid percents before sending', async () => {
    const traffic = registry.get('traffic', 'default');
    await traffic.setCanaryPercent(shop, 50);
    assert.equal(world.getCanaryPercent('shop', 'prod'), 50);
    assert.equal(await traffic.readCanaryPercent(shop), 50);
    for (const bad of [-1, 101, 12.5, Number.NaN]) {
      await assert.rejects(traffic.setCanaryPercent(shop, bad), RangeError);
    }
    assert.equal(world.requestsTo('/traffic/', 'POST').length, 1);
    world.failNext('/traffic/', 1, 503);
    await assert.rejects(
      traffic.setCanaryPercent(shop, 60),
      (error: unknown) => error instanceof HttpError && error.status === 503,
    );
    assert.equal(world.getCanaryPercent('shop', 'prod'), 50);
  });

  it('URL-encodes path segments and refuses dot segments', async () => {
    const traffic = registry.get('traffic', 'default');
    await traffic.setCanaryPercent({ service: 'a/b c', environment: 'prod' }, 5);
    assert.equal(world.requests.at(-1)?.path, '/traffic/a%2Fb%20c/prod');
    assert.equal(world.getCanaryPercent('a/b c', 'prod'), 5);
    await assert.rejects(
      traffic.readCanaryPercent({ service: '..', environment: 'prod' }),
      /invalid path segment/,
    );
  });

  it('deploys to a slot and reads the version back', async () => {
    const deployer = registry.get('deployer', 'default');
    const target = { ...shop, slot: 'canary' as const };
    const { deploymentId } = await deployer.deploy(target, '3.1.0');
    assert.ok(deploymentId);
    assert.equal(await deployer.currentVersion(target), '3.1.0');
    assert.deepEqual(await deployer.deploy(target, '3.1.0'), { deploymentId });
  });

  it('probes health without throwing', async () => {
    const target = { ...shop, slot: 'stable' as const };
    const health = registry.get('health', 'default');
    assert.equal((await health.probe(target)).ok, true);
    world.unhealthySlots.add('shop/prod/stable');
    assert.deepEqual(
      { ...(await health.probe(target)), latencyMs: 0 },
      { ok: false, statusCode: 503, latencyMs: 0, detail: '{"status":"unhealthy"}' },
    );
    const config = world.integrationsConfig();
    config.health = { down: { type: 'http', url: await closedPortUrl() } };
    const down = await createIntegrationRegistry(config).get('health', 'down').probe(target);
    assert.equal(down.ok, false);
    assert.equal(down.statusCode, null);
    assert.match(down.detail, /ECONNREFUSED/);
  });

  it('reads raw config texts', async () => {
    const source = registry.get('config', 'default');
    assert.equal(await source.read('shop', 'prod', 'env'), 'LOG_LEVEL=info\nDEBUG=false\n');
    assert.deepEqual(JSON.parse(await source.read('shop', 'prod', 'flags')), {
      'new-checkout': true,
      'debug-panel': false,
    });
    const lockfile = JSON.parse(await source.read('shop', 'prod', 'lockfile'));
    assert.equal(lockfile.lockfileVersion, 3);
    world.configTexts.env = 'LOG_LEVEL=debug\n';
    assert.equal(await source.read('shop', 'prod', 'env'), 'LOG_LEVEL=debug\n');
  });
});

describe('notifier', () => {
  it('posts Slack-shaped messages to configured channels only', async () => {
    const notifier = registry.get('notifier', 'default');
    assert.deepEqual(notifier.channels(), ['launch-announce', 'sre-oncall']);
    await notifier.send('launch-announce', {
      title: 'Ramp <50%>',
      text: 'all good',
      launchId: 'L1',
      severity: 'info',
    });
    assert.deepEqual(
      world.notifications.map(({ channel, text }) => ({ channel, text })),
      [{ channel: 'launch-announce', text: '*Ramp &lt;50%&gt;*\nall good' }],
    );
    const before = world.requests.length;
    await assert.rejects(notifier.send('random', { title: 't', text: 'x' }), /no channel "random"/);
    assert.equal(world.requests.length, before, 'an unknown channel must not cause a request');
    world.failNext('/hooks/slack/', 1, 500);
    await assert.rejects(notifier.send('sre-oncall', { title: 't', text: 'x' }), HttpError);
  });
});

describe('ci, on-call, incidents', () => {
  it('reads the latest CI run', async () => {
    const ci = registry.get('ci', 'default');
    const run = await ci.latestRun('acme/shop', 'main');
    assert.equal(run?.conclusion, 'success');
    assert.match(world.requests.at(-1)?.query ?? '', /branch=main&per_page=1/);
    world.ciRun = { status: 'completed', conclusion: 'failure' };
    assert.equal((await ci.latestRun('acme/shop', 'main'))?.conclusion, 'failure');
    world.ciRun = null;
    assert.equal(await ci.latestRun('acme/shop', 'main'), null);
    await assert.rejects(ci.latestRun('not-a-repo', 'main'), /owner\/repo/);
  });

  it('names who is on call by approver identity (their e-mail), not by PagerDuty display name, or nobody', async () => {
    const oncall = registry.get('oncall', 'default');
    const shift = await oncall.current('PSCHED1');
    assert.deepEqual(
      { ...shift, start: undefined, end: undefined },
      {
        person: 'olivia@example.com',
        identitySource: 'email',
        displayName: 'Olivia Smith',
        userId: 'PUSER01',
        schedule: 'PSCHED1',
        start: undefined,
        end: undefined,
      },
    );
    // The e-mail is only in the full user object, which PagerDuty sends when asked for it.
    assert.match(world.requests.at(-1)?.query ?? '', /include%5B%5D=users/);
    world.onCallUser = { id: 'PUSER02', name: 'Noah Jones', email: 'Noah.Jones@Example.COM' };
    assert.equal((await oncall.current('PSCHED1'))?.person, 'noah.jones@example.com');
    world.onCallUser = null;
    assert.equal(await oncall.current('PSCHED1'), null);
  });

  it('maps PagerDuty user ids to identities from the server config, before the e-mail', async () => {
    const base = world.integrationsConfig();
    const config = loadIntegrationsConfig({
      ...base,
      oncall: {
        mapped: { type: 'pagerduty', url: world.url, identities: { PUSER01: 'olivia' } },
        'mapping-only': { type: 'pagerduty', url: world.url, identities: {}, emailAsIdentity: false },
      },
    });
    const withMapping = createIntegrationRegistry(config);
    const mapped = await withMapping.get('oncall', 'mapped').current('PSCHED1');
    assert.equal(mapped?.person, 'olivia');
    assert.equal(mapped?.identitySource, 'mapping');
    assert.equal(mapped?.displayName, 'Olivia Smith');
    // Not mapped, e-mail not wanted: no identity, said so (never the display name).
    const unmapped = await withMapping.get('oncall', 'mapping-only').current('PSCHED1');
    assert.equal(unmapped?.person, null);
    assert.equal(unmapped?.identitySource, null);
    assert.equal(unmapped?.userId, 'PUSER01');
    // A mapping to something that is not an approver identity is refused when the config loads.
    assert.throws(
      () =>
        loadIntegrationsConfig({
          oncall: {
            default: {
              type: 'pagerduty',
              url: world.url,
              identities: { PUSER01: 'Olivia Smith', 'bad id': 'x' },
            },
          },
        }),
      /oncall\.default\.identities\.PUSER01: a user name or e-mail without spaces[\s\S]*oncall\.default\.identities\.bad id/,
    );
  });

  it('lists only unresolved incidents of the service', async () => {
    const incidents = registry.get('incidents', 'default');
    assert.deepEqual(await incidents.unresolved('shop'), []);
    const open = world.openIncident('shop', 'checkout 500s');
    world.openIncident('shop', 'old', 'resolved');
    world.openIncident('cart', 'other service');
    const found = await incidents.unresolved('shop');
    assert.deepEqual(
      found.map((i) => i.id),
      [open.id],
    );
  });
});

describe('tracker', () => {
  it('files an item once per launch and title', async () => {
    const tracker = registry.get('tracker', 'default');
    const item = { launchId: 'L-42', title: 'Tune alerts', owner: 'alice' };
    const first = await tracker.file('acme/shop', item);
    const again = await tracker.file('acme/shop', item);
    assert.deepEqual(again, first);
    assert.equal(first.assignee, 'alice');
    assert.equal(world.requestsTo('/repos/acme/shop/issues', 'POST').length, 1);
    assert.deepEqual(world.issues[0]?.labels, ['launch:L-42']);
    const other = await tracker.file('acme/shop', { ...item, title: 'Another' });
    assert.notEqual(other.id, first.id);
    const otherLaunch = await tracker.file('acme/shop', { ...item, launchId: 'L-43' });
    assert.notEqual(otherLaunch.id, first.id);
  });
});

describe('docs', () => {
  it('reads gate status; a missing gate document is null', async () => {
    const docs = registry.get('docs', 'default');
    assert.equal((await docs.gateStatus('shop', 'gate-2'))?.status, 'passed');
    world.gateDocs.delete('gate-3');
    assert.equal(await docs.gateStatus('shop', 'gate-3'), null);
  });

  it('checks links under the allowed prefixes and refuses others without requesting them', async () => {
    const docs = registry.get('docs', 'default');
    const ok = await docs.checkLink(`${world.url}/docs/shop/runbook.html`);
    assert.deepEqual({ ...ok, detail: '' }, { allowed: true, reachable: true, statusCode: 200, detail: '' });
    const before = world.requests.length;
    const outside = [
      `${world.url}/api/v1/query?query=up`,
      `${world.url}/docs/../traffic/shop/prod`,
      `${world.url}/docs/%2e%2e/traffic/shop/prod`,
      `${world.url}/docsx/page`,
      `http://localhost:${new URL(world.url).port}/docs/page`,
      `http://user:pw@${new URL(world.url).host}/docs/page`,
      'file:///etc/passwd',
      'not a url',
    ];
    for (const url of outside) {
      const result = await docs.checkLink(url);
      assert.equal(result.allowed, false, url);
      assert.equal(result.reachable, false, url);
    }
    assert.equal(world.requests.length, before, 'refused links must not be requested');
    world.failNext('/docs/', 1, 404);
    assert.deepEqual((await docs.checkLink(`${world.url}/docs/gone`)).reachable, false);
  });
});

describe('secrets, backups, integrity', () => {
  it('lists secret names only', async () => {
    const secrets = registry.get('secrets', 'default');
    assert.deepEqual(await secrets.names('shop', 'prod'), ['DATABASE_URL', 'API_KEY']);
    assert.equal(world.requests.at(-1)?.path, '/v1/secret/metadata/shop/prod');
    world.secretNames = [];
    assert.deepEqual(await secrets.names('shop', 'prod'), []);
  });

  it('reports backup freshness and write integrity', async () => {
    const backup = await registry.get('backups', 'default').status('shop', 'prod');
    assert.equal(backup.lastRestoreTestPassed, true);
    const ageMs = Date.now() - Date.parse(backup.lastBackupAt ?? '');
    assert.ok(ageMs > 59 * 60_000 && ageMs < 61 * 60_000, `backup age ${ageMs}ms`);
    const integrity = registry.get('integrity', 'default');
    assert.deepEqual(await integrity.probe('shop', 'prod'), {
      acknowledgedWrites: 1000,
      verifiedWrites: 1000,
      missing: 0,
    });
    world.loseWrites(3);
    assert.deepEqual(await integrity.probe('shop', 'prod'), {
      acknowledgedWrites: 1000,
      verifiedWrites: 997,
      missing: 3,
    });
  });
});

describe('tokens and the registry', () => {
  const token = 'tok-s3cret-value-123';

  function withToken(config: IntegrationsConfig): IntegrationsConfig {
    const traffic = config.traffic?.default;
    assert.ok(traffic?.type === 'webhook');
    return { ...config, traffic: { default: { ...traffic, tokenEnv: 'LC_TEST_TRAFFIC_TOKEN' } } };
  }

  it('sends the token as a bearer token and keeps it out of errors', async () => {
    const secured = createIntegrationRegistry(withToken(world.integrationsConfig()), {
      env: { LC_TEST_TRAFFIC_TOKEN: token },
    });
    await secured.get('traffic', 'default').setCanaryPercent(shop, 10);
    assert.equal(world.requests.at(-1)?.authorization, `Bearer ${token}`);
    assert.equal(world.requestsTo('/traffic/').filter((r) => r.authorization === undefined).length, 0);

    // A misbehaving server that echoes the Authorization header back in its error body.
    const echo = createServer((request, response) =>
      response.writeHead(500).end(`denied: ${request.headers.authorization}`),
    );
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const config = withToken(world.integrationsConfig());
      const webhook = config.traffic?.default;
      assert.ok(webhook?.type === 'webhook');
      config.traffic = {
        default: {
          ...webhook,
          url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`,
        },
      };
      const echoing = createIntegrationRegistry(config, { env: { LC_TEST_TRAFFIC_TOKEN: token } });
      const error = await echoing
        .get('traffic', 'default')
        .setCanaryPercent(shop, 10)
        .then(
          () => assert.fail('expected a rejection'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 500);
      assert.ok(!error.message.includes(token) && !error.bodyExcerpt.includes(token), error.message);
      assert.match(error.bodyExcerpt, /\[redacted\]/);
    } finally {
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it('reads the token lazily, at adapter creation, and names a missing variable', () => {
    const lazy = createIntegrationRegistry(withToken(world.integrationsConfig()), { env: {} });
    assert.throws(() => lazy.get('traffic', 'default'), /LC_TEST_TRAFFIC_TOKEN/);
  });

  it('builds each adapter once and refuses unknown names', () => {
    assert.equal(registry.get('metrics', 'default'), registry.get('metrics', 'default'));
    assert.deepEqual(registry.names('notifier'), ['default']);
    for (const name of ['nope', 'constructor', 'toString']) {
      assert.throws(
        () => registry.get('metrics', name),
        (error: unknown) =>
          error instanceof UnknownIntegrationError &&
          error.integrationName === name &&
          error.kind === 'metrics',
      );
    }
    assert.throws(() => createIntegrationRegistry({}).get('docs', 'default'), UnknownIntegrationError);
  });
});
