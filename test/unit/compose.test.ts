/**
 * docker-compose.yml, deploy/ and the environment schema, checked statically (no Docker engine
 * needed): the services the app needs, their wiring, and that every variable given to the worker
 * and the API is one the code reads, documented once in worker/config-schema.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { format, resolveConfig } from 'prettier';
import { parse as parseYaml } from 'yaml';
import { loadAuthFromEnv, resolveAuth } from '../../api/auth.js';
import { DEFAULT_RATE_LIMIT, parseRateLimit } from '../../api/rate-limit.js';
import { loadIntegrationsConfigFile } from '../../integrations/config.js';
import {
  CONFIG_KEYS,
  configSchema,
  defaultsOf,
  meaningOf,
  renderConfigReference,
  servicesReading,
  type ConfigKey,
  type Service,
} from '../../worker/config-schema.js';
import { temporalSettingsFromEnv } from '../../worker/temporal-connection.js';
import { ALL_SEARCH_ATTRIBUTES, devServerSearchAttributeArgs } from '../../workflows/search-attributes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Healthcheck = { test: string | string[] };
type DependsOn = string[] | Record<string, { condition?: string }>;
type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: (string | { path: string; required?: boolean })[];
  ports?: (string | number)[];
  volumes?: string[];
  depends_on?: DependsOn;
  healthcheck?: Healthcheck;
};
type Compose = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText) as Compose;
const services = compose.services;

function service(name: string): ComposeService {
  const found = services[name];
  assert.ok(found, `docker-compose.yml has no service ${name}`);
  return found;
}

/** Compose accepts a mapping or a KEY=VALUE list; values become strings. */
function envOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as const;
      })
    : Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)] as const);
  return Object.fromEntries(entries);
}

function dependsOn(name: string): Record<string, string> {
  const deps = service(name).depends_on ?? [];
  return Array.isArray(deps)
    ? Object.fromEntries(deps.map((d) => [d, 'service_started']))
    : Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

function healthcheckText(name: string): string {
  const check = service(name).healthcheck;
  assert.ok(check, `${name} has a healthcheck`);
  return Array.isArray(check.test) ? check.test.join(' ') : check.test;
}

/** `[host:]published:target` → { published, target } (the short syntax used here). */
function portMappings(name: string): { published: number; target: number }[] {
  return (service(name).ports ?? []).map((port) => {
    const parts = String(port).split(':');
    return { published: Number(parts.at(-2)), target: Number(parts.at(-1)) };
  });
}

/** `./host/path:/container/path[:ro]` → host path (relative to the repo) by container path. */
function mounts(name: string): Map<string, string> {
  return new Map(
    (service(name).volumes ?? [])
      .filter((v) => v.startsWith('./'))
      .map((v) => {
        const [host = '', target = ''] = v.split(':');
        return [target, host.slice(2)] as const;
      }),
  );
}

const commandText = (name: string) => {
  const command = service(name).command ?? [];
  return Array.isArray(command) ? command.join(' ') : command;
};

const APP_SERVICES: Service[] = ['worker', 'api'];

describe('docker-compose.yml', () => {
  test('has every service a team needs', () => {
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-admin-tools',
      'temporal-ui',
      'worker',
      'api',
      'prometheus',
    ]) {
      service(name);
    }
    assert.match(service('postgresql').image ?? '', /^postgres:16(\b|$)/);
    assert.match(service('temporal').image ?? '', /^temporalio\/auto-setup:/);
    assert.match(service('temporal-admin-tools').image ?? '', /^temporalio\/admin-tools:/);
    assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:/);
    assert.match(service('prometheus').image ?? '', /^prom\/prometheus:/);
  });

  test('publishes the documented ports, and only those', () => {
    const published = Object.fromEntries(
      Object.keys(services).map((name) => [
        name,
        portMappings(name).map((p) => `${p.published}:${p.target}`),
      ]),
    );
    assert.deepEqual(published, {
      postgresql: [],
      temporal: ['7233:7233'],
      'temporal-admin-tools': [],
      'temporal-ui': ['8233:8080'],
      worker: [],
      api: ['8080:8080'],
      prometheus: ['9090:9090'],
    });
    // The header comment lists them ("#   8080  Launch Control REST API").
    const documented = [...composeText.matchAll(/^#\s+(\d{4,5})\s{2,}\S/gm)].map((m) => Number(m[1]));
    const all = Object.keys(services).flatMap((name) => portMappings(name).map((p) => p.published));
    assert.deepEqual([...documented].sort(), [...all].sort());
    // The API listens where its port is mapped, on every interface of the container.
    assert.equal(Number(envOf('api').PORT ?? defaultsOf().PORT), portMappings('api')[0]?.target);
    assert.equal(envOf('api').HOST, '0.0.0.0');
  });

  test('gives worker and api only schema variables, each read by that service, and they parse', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(name);
      for (const key of Object.keys(env)) {
        assert.ok(
          (CONFIG_KEYS as string[]).includes(key),
          `${name}: ${key} is not in worker/config-schema.ts (document it there, or drop it here)`,
        );
        assert.ok(
          servicesReading(key as ConfigKey).includes(name),
          `${name}: ${key} is not read by the ${name} (per its schema description)`,
        );
      }
      const parsed = configSchema.safeParse(env);
      assert.ok(parsed.success, `${name}: ${JSON.stringify(!parsed.success && parsed.error.issues)}`);
    }
    assert.equal(envOf('worker').NODE_ENV, undefined);
    assert.equal(envOf('api').NODE_ENV, 'production');
    // Both sides of a launch agree on where launches live.
    for (const key of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'LAUNCH_CONTROL_TASK_QUEUE'] as const) {
      assert.equal(envOf('worker')[key], envOf('api')[key], key);
    }
  });

  test('points TEMPORAL_ADDRESS of every client at the temporal service', () => {
    const frontend = `temporal:${portMappings('temporal')[0]?.target}`;
    assert.equal(frontend, 'temporal:7233');
    for (const name of [...APP_SERVICES, 'temporal-admin-tools', 'temporal-ui']) {
      assert.equal(envOf(name).TEMPORAL_ADDRESS, frontend, name);
    }
    assert.match(healthcheckText('temporal'), /temporal operator cluster health --address temporal:7233/);
    assert.match(healthcheckText('temporal'), /grep -qw SERVING/);
  });

  test('runs Temporal on the postgresql service', () => {
    const temporal = envOf('temporal');
    const postgres = envOf('postgresql');
    assert.equal(temporal.DB, 'postgres12');
    assert.equal(temporal.POSTGRES_SEEDS, 'postgresql');
    assert.equal(temporal.DB_PORT, '5432');
    assert.equal(temporal.POSTGRES_USER, postgres.POSTGRES_USER);
    assert.equal(temporal.POSTGRES_PWD, postgres.POSTGRES_PASSWORD);
    assert.equal(temporal.DEFAULT_NAMESPACE, envOf('worker').TEMPORAL_NAMESPACE);
    assert.match(healthcheckText('postgresql'), /pg_isready/);
    assert.ok(
      (service('postgresql').volumes ?? []).some((v) => v.endsWith(':/var/lib/postgresql/data')),
      'the database survives `docker compose down`',
    );
  });

  test('registers exactly ALL_SEARCH_ATTRIBUTES, with their types, in the app namespace', () => {
    const script = commandText('temporal-admin-tools');
    const created = [
      ...script.matchAll(
        /temporal operator search-attribute create (?:--namespace \S+ )?--name (\S+) --type (\S+)/g,
      ),
    ].map((m) => `${m[1]}=${m[2]}`);
    // The dev server gets the same list as `--search-attribute Name=Type`: one mapping of types.
    const expected = devServerSearchAttributeArgs().filter((_, i) => i % 2 === 1);
    assert.equal(expected.length, ALL_SEARCH_ATTRIBUTES.length);
    assert.deepEqual([...created].sort(), [...expected].sort());
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      assert.match(
        script,
        new RegExp(`registered ${key.name} \\|\\| temporal operator`),
        `${key.name} idempotent`,
      );
    }
    assert.equal(envOf('temporal-admin-tools').NAMESPACE, envOf('worker').TEMPORAL_NAMESPACE);
    assert.match(script, /until temporal operator namespace describe --namespace "\$\$NAMESPACE"/);
    assert.equal(envOf('temporal').SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES, 'true');
  });

  test('starts things in order: health checks where something waits on them', () => {
    assert.deepEqual(dependsOn('temporal'), { postgresql: 'service_healthy' });
    assert.deepEqual(dependsOn('temporal-admin-tools'), { temporal: 'service_healthy' });
    assert.deepEqual(dependsOn('temporal-ui'), { temporal: 'service_healthy' });
    for (const name of APP_SERVICES) {
      assert.deepEqual(
        dependsOn(name),
        { temporal: 'service_healthy', 'temporal-admin-tools': 'service_completed_successfully' },
        name,
      );
    }
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        assert.ok(services[dep], `${name} depends on unknown service ${dep}`);
        if (condition === 'service_healthy')
          assert.ok(services[dep]?.healthcheck, `${dep} has a healthcheck`);
      }
    }
    // Long-running services check themselves; the admin tools run once and exit.
    for (const name of ['postgresql', 'temporal', 'worker', 'api', 'prometheus']) healthcheckText(name);
    assert.equal(service('temporal-admin-tools').healthcheck, undefined);
    assert.match(healthcheckText('api'), new RegExp(`127\\.0\\.0\\.1:${envOf('api').PORT}/healthz`));
    const metricsPort = envOf('worker').LAUNCH_CONTROL_WORKER_METRICS_ADDRESS?.split(':').at(-1);
    assert.match(healthcheckText('worker'), new RegExp(`127\\.0\\.0\\.1:${metricsPort}/metrics`));
  });

  test('mounts the files the environment names, from deploy/', async () => {
    for (const name of APP_SERVICES) {
      const env = envOf(name);
      const mounted = mounts(name);
      for (const key of ['LAUNCH_CONTROL_INTEGRATIONS', 'LAUNCH_CONTROL_TOKENS_FILE'] as const) {
        if (!env[key]) continue;
        const host = mounted.get(env[key]);
        assert.ok(host, `${name}: ${key}=${env[key]} is not mounted`);
        assert.ok(existsSync(join(ROOT, host)), `${name}: ${host} exists`);
      }
      await loadIntegrationsConfigFile(join(ROOT, mounted.get(env.LAUNCH_CONTROL_INTEGRATIONS ?? '') ?? ''));
    }
    assert.equal(envOf('api').LAUNCH_CONTROL_TOKENS_FILE, '/config/tokens.yaml');
    assert.equal(mounts('api').get('/config/tokens.yaml'), 'deploy/tokens.example.yaml');
    assert.equal(mounts('prometheus').get('/etc/prometheus/prometheus.yml'), 'deploy/prometheus.yml');
    for (const name of Object.keys(services)) {
      for (const host of mounts(name).values())
        assert.ok(existsSync(join(ROOT, host)), `${name} mounts ${host}`);
    }
    const named = Object.values(services).flatMap((s) =>
      (s.volumes ?? []).filter((v) => !v.startsWith('.') && !v.startsWith('/')).map((v) => v.split(':')[0]),
    );
    assert.deepEqual([...new Set(named)].sort(), Object.keys(compose.volumes ?? {}).sort());
  });

  test('gives the worker its integration tokens, and worker and api their shared identity key, from optional, git-ignored env files', async () => {
    const envFiles = service('worker').env_file ?? [];
    assert.deepEqual(envFiles, [
      { path: 'deploy/secrets.env', required: false },
      { path: 'deploy/identity.env', required: false },
    ]);
    // The API calls no integrations: it gets only the identity key.
    assert.deepEqual(service('api').env_file, [{ path: 'deploy/identity.env', required: false }]);
    for (const file of ['secrets.env', 'identity.env']) {
      assert.match(read('deploy/.gitignore'), new RegExp(`^${file.replace('.', '\\.')}$`, 'm'));
      assert.match(
        read('deploy/Dockerfile.dockerignore'),
        new RegExp(`^deploy/${file.replace('.', '\\.')}$`, 'm'),
      );
    }
    assert.deepEqual(
      read('deploy/identity.example.env')
        .split('\n')
        .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line)),
      ['LAUNCH_CONTROL_IDENTITY_KEY='],
    );
    // The example lists exactly the variables the example integrations file names.
    const config = await loadIntegrationsConfigFile(join(ROOT, 'deploy/integrations.example.yaml'));
    const tokenEnvs = new Set(
      Object.values(config).flatMap((named) =>
        Object.values(named ?? {}).flatMap((adapter) =>
          'tokenEnv' in adapter && adapter.tokenEnv ? [adapter.tokenEnv] : [],
        ),
      ),
    );
    const example = read('deploy/secrets.example.env')
      .split('\n')
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => line.slice(0, line.indexOf('=')));
    assert.deepEqual([...example].sort(), [...tokenEnvs].sort());
    for (const name of example) assert.ok(!(CONFIG_KEYS as string[]).includes(name), name);
  });

  test('leaves nothing for Compose to interpolate (a lone "$" would be replaced at load time)', () => {
    const strings: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === 'string') strings.push(value);
      else if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(compose);
    for (const value of strings) {
      assert.doesNotMatch(value.replaceAll('$$', ''), /\$/, `unescaped $ in ${JSON.stringify(value)}`);
    }
  });

  test('its scripts are valid sh and JavaScript', () => {
    const script = commandText('temporal-admin-tools').replaceAll('$$', '$');
    const sh = spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8' });
    assert.equal(sh.status, 0, sh.stderr);
    for (const name of Object.keys(services)) {
      const test = service(name).healthcheck?.test;
      if (!Array.isArray(test)) continue;
      if (test[0] === 'CMD-SHELL') {
        const check = spawnSync('sh', ['-n', '-c', test[1] ?? ''], { encoding: 'utf8' });
        assert.equal(check.status, 0, `${name}: ${check.stderr}`);
      } else if (test[1] === 'node' && test[2] === '-e') {
        assert.doesNotThrow(() => new Script(test[3] ?? ''), `${name} healthcheck is JavaScript`);
      }
    }
  });

  test('explains Temporal Cloud in its header, naming only schema variables', () => {
    const header = composeText.slice(0, composeText.indexOf('\nname:'));
    for (const needle of [
      'tmprl.cloud:7233',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS_CERT',
      'TEMPORAL_TLS_KEY',
      '`postgresql`',
      '`temporal`',
    ]) {
      assert.ok(header.includes(needle), `header mentions ${needle}`);
    }
    for (const [name] of header.matchAll(/\b(?:TEMPORAL|LAUNCH_CONTROL)_[A-Z_]+\b/g)) {
      assert.ok((CONFIG_KEYS as string[]).includes(name), `${name} in the header is a schema key`);
    }
  });
});

describe('deploy/', () => {
  test('the example integrations file parses and configures every kind under "default"', async () => {
    const config = await loadIntegrationsConfigFile(join(ROOT, 'deploy/integrations.example.yaml'));
    const kinds = Object.keys(config);
    assert.deepEqual(kinds.sort(), [
      'backups',
      'ci',
      'config',
      'deployer',
      'docs',
      'health',
      'incidents',
      'integrity',
      'metrics',
      'notifier',
      'oncall',
      'secrets',
      'tracker',
      'traffic',
    ]);
    for (const kind of kinds) {
      assert.ok(
        config[kind as keyof typeof config]?.default,
        `${kind} has a "default" (plans default to it)`,
      );
    }
    assert.equal(config.traffic?.default?.type, 'haproxy');
    assert.ok(config.traffic?.default?.type === 'haproxy' && config.traffic.default.address);
    assert.deepEqual(
      Object.values(config.deployer ?? {})
        .map((d) => d.type)
        .sort(),
      ['command', 'webhook'],
    );
    assert.equal(config.config?.default?.type, 'files');
    assert.equal(config.notifier?.default?.tokenEnv, 'SLACK_TOKEN');
    assert.equal(config.ci?.default?.type, 'github');
    assert.equal(config.tracker?.default?.type, 'github');
    assert.equal(config.oncall?.default?.type, 'pagerduty');
    assert.equal(config.incidents?.default?.type, 'pagerduty');
    assert.equal(config.secrets?.default?.type, 'vault');
  });

  test('the example tokens file is what the API loads: hashes only, and says how to make one', () => {
    const path = join(ROOT, 'deploy/tokens.example.yaml');
    const auth = loadAuthFromEnv({ LAUNCH_CONTROL_TOKENS_FILE: path, NODE_ENV: 'production' });
    assert.ok(auth.tokens.length > 0);
    assert.equal(resolveAuth(auth).mode, 'tokens', 'enough for NODE_ENV=production');
    const entries = parseYaml(read('deploy/tokens.example.yaml')) as Record<string, unknown>[];
    for (const entry of entries) {
      assert.equal(entry.token, undefined, 'no plain tokens in the example');
      assert.match(String(entry.tokenSha256), /^[0-9a-f]{64}$/);
    }
    assert.match(read('deploy/tokens.example.yaml'), /sha256sum/);
  });

  test('prometheus scrapes the worker and api where they listen', () => {
    const config = parseYaml(read('deploy/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    const targets = Object.fromEntries(
      config.scrape_configs.flatMap((job) =>
        (job.dns_sd_configs ?? []).flatMap((sd) =>
          sd.names.map((name) => [name, { port: sd.port, path: job.metrics_path }] as const),
        ),
      ),
    );
    const workerPort = Number(envOf('worker').LAUNCH_CONTROL_WORKER_METRICS_ADDRESS?.split(':').at(-1));
    assert.deepEqual(targets.worker, { port: workerPort, path: '/metrics' });
    assert.deepEqual(targets.api, { port: Number(envOf('api').PORT), path: '/metrics' });
    assert.ok(read('api/routes/metrics.ts').includes("app.get('/metrics'"), 'the API serves /metrics');
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  test('promtool accepts prometheus.yml', { skip: !promtool && 'promtool is not installed' }, () => {
    const check = spawnSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus.yml')], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('the Dockerfile installs, bundles and runs what package.json and the repo have', () => {
    const instructions = read('deploy/Dockerfile')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#'))
      .map((line) => {
        const [op = '', ...rest] = line.trim().split(/\s+/);
        return { op: op.toUpperCase(), args: rest.join(' ') };
      });
    const args = (op: string) => instructions.filter((i) => i.op === op).map((i) => i.args);
    assert.match(args('FROM')[0] ?? '', /^node:20(-|$)/);
    const runs = args('RUN');
    assert.ok(
      runs.some((r) => /^npm ci\b/.test(r)),
      'RUN npm ci',
    );
    assert.ok(runs.includes('npm run bundle'), 'RUN npm run bundle');
    assert.ok(
      runs.findIndex((r) => r.startsWith('npm ci')) < runs.indexOf('npm run bundle'),
      'dependencies before the bundle',
    );
    const pkg = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    for (const run of runs) {
      for (const [, script] of run.matchAll(/npm run (\S+)/g)) {
        assert.ok(pkg.scripts[script ?? ''], `package.json has script ${script}`);
      }
    }
    // `npm ci --omit=dev`: what runs in the image must be a dependency, not a devDependency.
    for (const dep of ['tsx', '@temporalio/worker', '@temporalio/client', 'yaml', 'zod', 'fastify']) {
      assert.ok(pkg.dependencies[dep], `${dep} is a dependency`);
    }
    assert.ok(existsSync(join(ROOT, pkg.scripts.bundle?.split(' ').at(-1) ?? '')), 'bundle script exists');

    const cmd = JSON.parse(args('CMD')[0] ?? '[]') as string[];
    // `node --import tsx` rather than `npx tsx`: npm does not pass SIGTERM on (no graceful stop).
    assert.deepEqual(cmd, ['node', '--import', 'tsx', 'api/main.ts']);
    assert.deepEqual(service('worker').command, ['node', '--import', 'tsx', 'worker/main.ts']);
    assert.deepEqual(service('api').command, ['node', '--import', 'tsx', 'api/main.ts']);
    for (const name of APP_SERVICES) {
      assert.deepEqual(service(name).build, { context: '.', dockerfile: 'deploy/Dockerfile' });
      const entry = (service(name).command as string[]).at(-1) ?? '';
      assert.ok(existsSync(join(ROOT, entry)), `${entry} exists`);
      assert.equal(pkg.scripts[name], `tsx ${entry}`, `npm run ${name} runs the same file`);
    }
    // worker/main.ts loads the bundles from where `npm run bundle` writes them.
    assert.match(read('scripts/bundle-workflows.ts'), /WORKFLOW_BUNDLES/);
    assert.match(read('worker/main.ts'), /WORKFLOW_BUNDLES\.(plain|traced)/);
    assert.match(read('worker/worker.ts'), /'\.\.\/dist\/workflow-bundle\.js'/);
  });

  test('the build context keeps what the image needs', () => {
    const ignored = read('deploy/Dockerfile.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const isIgnored = (path: string) =>
      ignored.some((p) =>
        p.startsWith('*') ? path.endsWith(p.slice(1)) : path === p || path.startsWith(`${p}/`),
      );
    for (const needed of [
      'package.json',
      'package-lock.json',
      'worker/main.ts',
      'api/main.ts',
      'scripts/bundle-workflows.ts',
      'workflows/search-attributes.ts',
      'domain',
      'integrations',
      'activities',
    ]) {
      assert.ok(!isIgnored(needed), `${needed} is in the build context`);
    }
    for (const unwanted of ['node_modules', '.git', 'dist', '.data', '.temporal', 'deploy/tokens.yaml']) {
      assert.ok(isIgnored(unwanted), `${unwanted} stays out of the build context`);
    }
  });
});

describe('worker/config-schema.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-config-schema-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'client.pem');
  const key = join(dir, 'client.key');
  const ca = join(dir, 'ca.pem');
  writeFileSync(cert, 'CERT');
  writeFileSync(key, 'KEY');
  writeFileSync(ca, 'CA');

  const samples: Record<string, NodeJS.ProcessEnv> = {
    empty: {},
    'empty strings mean unset': {
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      LAUNCH_CONTROL_TASK_QUEUE: '',
    },
    cluster: {
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'launches',
      LAUNCH_CONTROL_TASK_QUEUE: 'lc',
    },
    'api key': {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'k',
    },
    'tls on': { TEMPORAL_TLS: 'true' },
    'tls off': { TEMPORAL_TLS: 'false' },
    mtls: { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key },
    'mtls with ca and api key': {
      TEMPORAL_TLS_CERT: cert,
      TEMPORAL_TLS_KEY: key,
      TEMPORAL_TLS_CA: ca,
      TEMPORAL_API_KEY: 'k',
    },
  };

  for (const [name, env] of Object.entries(samples)) {
    test(`parses like temporalSettingsFromEnv: ${name}`, () => {
      const config = configSchema.parse(env);
      const settings = temporalSettingsFromEnv(env);
      assert.equal(config.TEMPORAL_ADDRESS, settings.address);
      assert.equal(config.TEMPORAL_NAMESPACE, settings.namespace);
      assert.equal(config.LAUNCH_CONTROL_TASK_QUEUE, settings.taskQueue);
      assert.equal(config.TEMPORAL_API_KEY, settings.apiKey);
      // As the TEMPORAL_TLS description says: explicit `true`, else on with an API key or a client cert.
      const clientCert = !!(config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY);
      const tlsOn = config.TEMPORAL_TLS ?? (!!config.TEMPORAL_API_KEY || clientCert);
      assert.equal(settings.tls !== undefined, tlsOn);
      if (clientCert) {
        assert.ok(settings.tls && settings.tls !== true);
        assert.deepEqual(settings.tls.clientCertPair, {
          crt: readFileSync(config.TEMPORAL_TLS_CERT ?? ''),
          key: readFileSync(config.TEMPORAL_TLS_KEY ?? ''),
        });
        assert.deepEqual(
          settings.tls.serverRootCACertificate,
          config.TEMPORAL_TLS_CA ? readFileSync(config.TEMPORAL_TLS_CA) : undefined,
        );
      } else {
        assert.ok(settings.tls === undefined || settings.tls === true);
      }
    });
  }

  test('refuses settings the code would silently ignore or override', () => {
    const issues = (env: NodeJS.ProcessEnv) => {
      const result = configSchema.safeParse(env);
      return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    };
    assert.deepEqual(issues({ TEMPORAL_TLS_CERT: cert }), ['TEMPORAL_TLS_KEY']);
    assert.deepEqual(issues({ TEMPORAL_TLS_KEY: key }), ['TEMPORAL_TLS_CERT']);
    assert.deepEqual(issues({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA: ca }), ['TEMPORAL_TLS_CA']);
    assert.deepEqual(issues({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }), ['TEMPORAL_TLS']);
    assert.deepEqual(issues({ TEMPORAL_TLS: 'yes' }), ['TEMPORAL_TLS']);
    assert.deepEqual(issues({ PORT: 'http' }), ['PORT']);
    assert.deepEqual(issues({ TEMPORAL_ADDRESS: 'temporal' }), ['TEMPORAL_ADDRESS']);
    assert.deepEqual(issues({ TEMPORAL_UI_URL: 'localhost:8233' }), ['TEMPORAL_UI_URL']);
    // The worker appends `/namespaces/…` without trimming: a trailing slash would double it.
    assert.deepEqual(issues({ TEMPORAL_UI_URL: 'http://localhost:8233/' }), ['TEMPORAL_UI_URL']);
    assert.deepEqual(issues({ PATH: '/usr/bin', SOMETHING_ELSE: 'x' }), [], 'other variables are ignored');
  });

  test('takes the rate limits the API takes, with the same default', () => {
    assert.deepEqual(parseRateLimit(String(defaultsOf().LAUNCH_CONTROL_RATE_LIMIT)), DEFAULT_RATE_LIMIT);
    for (const value of [
      '60/1m',
      '10 / 30s',
      '5/2h',
      'off',
      'OFF',
      'none',
      '0',
      '0/1m',
      '10',
      '10/x',
      'ten/1m',
      '10/0s',
    ]) {
      let apiAccepts = true;
      try {
        parseRateLimit(value);
      } catch {
        apiAccepts = false;
      }
      assert.equal(configSchema.safeParse({ LAUNCH_CONTROL_RATE_LIMIT: value }).success, apiAccepts, value);
    }
  });

  test('every variable says what it does and who reads it', () => {
    for (const key of CONFIG_KEYS) {
      assert.ok(meaningOf(key).length > 10, `${key} has a description`);
      assert.ok(servicesReading(key).length > 0, `${key} description ends with "Read by: …"`);
      assert.match(configSchema.shape[key].description ?? '', /Read by: [a-z, ]+\.$/);
    }
  });

  test('renderConfigReference() lists every key once, with defaults, already prettier-formatted', async () => {
    const table = renderConfigReference();
    const lines = table.split('\n');
    assert.equal(lines.length, CONFIG_KEYS.length + 2);
    for (const key of CONFIG_KEYS) {
      assert.equal(lines.filter((line) => line.startsWith(`| \`${key}\` `)).length, 1, key);
    }
    const defaults = defaultsOf();
    assert.deepEqual(defaults, {
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      LAUNCH_CONTROL_TASK_QUEUE: 'launch-control',
      LAUNCH_CONTROL_RATE_LIMIT: '60/1m',
      HOST: '127.0.0.1',
      PORT: 8080,
    });
    for (const [key, value] of Object.entries(defaults)) {
      assert.ok(table.includes(`\`${String(value)}\``), `${key} default shown`);
    }
    const options = (await resolveConfig(join(ROOT, 'README.md'))) ?? {};
    assert.equal(await format(table, { ...options, parser: 'markdown' }), `${table}\n`);
  });

  /**
   * The files of the deployed processes and `npm start`. Every `process.env.X` / `env.X` /
   * `env[CONST]` they read must be a schema key, and a literal fallback next to it must be the
   * schema default or appear in the description. (The CLI, demo and tests are not services.)
   */
  const SCANNED = [
    'worker',
    'api',
    'scripts/start.ts',
    'scripts/temporal-cli.ts',
    'scripts/bundle-workflows.ts',
  ];
  /** System variables passed through, not Launch Control configuration. */
  const NOT_CONFIG: Record<string, string> = {
    PATH: 'where `temporal` and `go` are looked up',
    GOFLAGS: 'passed through to `go install` when building the Temporal CLI',
  };

  function tsFiles(path: string): string[] {
    const full = join(ROOT, path);
    if (path.endsWith('.ts')) return [full];
    return readdirSync(full, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(full, f));
  }

  test('covers every environment variable the services read, with the same fallbacks', () => {
    const sources = SCANNED.flatMap(tsFiles).map((file) => ({
      file: relative(ROOT, file),
      text: readFileSync(file, 'utf8'),
    }));
    const constants = new Map<string, string>();
    for (const { text } of sources) {
      for (const m of text.matchAll(/\bconst ([A-Z][A-Z0-9_]*)\s*=\s*'([A-Z][A-Z0-9_]*)'/g)) {
        constants.set(m[1] ?? '', m[2] ?? '');
      }
    }
    const readers = new Map<string, Set<string>>();
    const fallbacks: { name: string; literal: string; file: string }[] = [];
    for (const { file, text } of sources) {
      const pattern =
        /(?<![\w.])(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)|\[\s*([A-Z][A-Z0-9_]*)\s*\])(?:\s*(?:\?\?|\|\|)\s*(?:'([^']*)'|(\d+)))?/g;
      for (const m of text.matchAll(pattern)) {
        const name = m[1] ?? constants.get(m[2] ?? '');
        assert.ok(name, `${file}: cannot resolve env[${m[2]}] to a variable name`);
        readers.set(name, (readers.get(name) ?? new Set()).add(file));
        const literal = m[3] ?? m[4];
        if (literal) fallbacks.push({ name, literal, file });
      }
    }
    assert.ok(readers.size > 10, `found ${[...readers.keys()].join(', ')}`);
    for (const [name, where] of readers) {
      if (NOT_CONFIG[name]) continue;
      assert.ok(
        (CONFIG_KEYS as string[]).includes(name),
        `${name} (read in ${[...where].join(', ')}) is missing from worker/config-schema.ts`,
      );
    }
    const defaults = defaultsOf() as Record<string, unknown>;
    for (const { name, literal, file } of fallbacks) {
      if (NOT_CONFIG[name]) continue;
      const documented =
        String(defaults[name]) === literal || meaningOf(name as ConfigKey).includes(`\`${literal}\``);
      assert.ok(
        documented,
        `${file}: fallback '${literal}' for ${name} is neither its default nor described`,
      );
    }
    // And the other way round: nothing documented that no service reads.
    for (const key of CONFIG_KEYS) {
      assert.ok(readers.has(key), `${key} is in the schema but no scanned file reads it`);
    }
  });
});
