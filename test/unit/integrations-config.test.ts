/** The server-side integrations configuration: schema, error listing and file loading. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadIntegrationsConfig, loadIntegrationsConfigFile } from '../../integrations/config.js';

const validYaml = `
metrics:
  main-prom:
    type: prometheus
    url: https://prometheus.internal:9090
    timeoutMs: 2000
notifier:
  slack:
    type: slack-webhook
    url: https://hooks.example.com/services
    channels: [launch-announce]
    tokenEnv: SLACK_TOKEN
`;

describe('integrations config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lc-integrations-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('accepts a valid configuration, including the test world one', async () => {
    const { startWorld } = await import('../support/world.js');
    const world = await startWorld();
    try {
      const config = loadIntegrationsConfig(world.integrationsConfig('primary'));
      assert.deepEqual(Object.keys(config.docs ?? {}), ['primary']);
    } finally {
      await world.close();
    }
    assert.deepEqual(loadIntegrationsConfig({}), {});
  });

  it('lists every bad field path in one error', () => {
    const bad = {
      metrics: {
        'Bad Name!': { type: 'prometheus', url: 'http://prom' },
        graphite: { type: 'graphite', url: 'http://graphite' },
      },
      traffic: { edge: { type: 'webhook', url: 'ftp://router', timeoutMs: -5 } },
      notifier: { slack: { type: 'slack-webhook', url: 'http://hooks' } },
      docs: { wiki: { type: 'http', url: 'http://wiki', allowedPrefixes: [] } },
      ci: { gh: { type: 'github', url: 'http://user:pass@github', tokenEnv: 'not a var' } },
      health: { probe: { type: 'http', url: 'http://health', timeOutMs: 10 } },
      backups: { store: { type: 'http', url: 'not a url' } },
      bogus: {},
    };
    let message = '';
    assert.throws(
      () => loadIntegrationsConfig(bad),
      (error: unknown) => {
        message = (error as Error).message;
        return true;
      },
    );
    for (const path of [
      'metrics.Bad Name!:',
      'metrics.graphite.type:',
      'traffic.edge.url:',
      'traffic.edge.timeoutMs:',
      'notifier.slack.channels:',
      'docs.wiki.allowedPrefixes:',
      'ci.gh.url:',
      'ci.gh.tokenEnv:',
      'health.probe.timeOutMs: unknown field',
      'backups.store.url:',
      'bogus: unknown field',
    ]) {
      assert.ok(message.includes(path), `expected "${path}" in:\n${message}`);
    }
    assert.ok(!message.includes('pass@'), 'a URL with credentials must not be echoed');
  });

  it('loads YAML and JSON files', async () => {
    const yamlPath = join(dir, 'integrations.yaml');
    await writeFile(yamlPath, validYaml);
    const fromYaml = await loadIntegrationsConfigFile(yamlPath);
    assert.deepEqual(fromYaml.notifier?.slack?.channels, ['launch-announce']);
    assert.equal(fromYaml.metrics?.['main-prom']?.timeoutMs, 2000);

    const jsonPath = join(dir, 'integrations.json');
    await writeFile(jsonPath, JSON.stringify(fromYaml));
    assert.deepEqual(await loadIntegrationsConfigFile(jsonPath), fromYaml);
  });

  it('names the file in every loading error', async () => {
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(loadIntegrationsConfigFile(missing), (e: Error) => e.message.includes(missing));

    const brokenYaml = join(dir, 'broken.yaml');
    await writeFile(brokenYaml, 'metrics: [unclosed\n');
    await assert.rejects(loadIntegrationsConfigFile(brokenYaml), /broken\.yaml is not valid YAML/);

    const brokenJson = join(dir, 'broken.json');
    await writeFile(brokenJson, '{"metrics": ');
    await assert.rejects(loadIntegrationsConfigFile(brokenJson), /broken\.json is not valid JSON/);

    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'metrics:\n  prom:\n    type: prometheus\n');
    await assert.rejects(
      loadIntegrationsConfigFile(invalid),
      /invalid\.yaml: invalid integrations configuration:\n {2}- metrics\.prom\.url/,
    );
  });
});
