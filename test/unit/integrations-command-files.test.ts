/** Command deployer (real child processes, no shell) and the file config source. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandError } from '../../integrations/command/deployer-command.js';
import { loadIntegrationsConfig } from '../../integrations/config.js';
import { ConfigFileError, createFilesConfigSource } from '../../integrations/files/config-files.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';

let dir: string;
const node = process.execPath;

/** A fake deploy tool: `deploy|version|fail|hang|garbage --service s --env e --slot x [--version v]`. */
const TOOL = `
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [mode, ...rest] = process.argv.slice(2);
const arg = (name) => rest[rest.indexOf(name) + 1];
const state = join(process.env.LC_FAKE_STATE, \`\${arg('--service')}-\${arg('--env')}-\${arg('--slot')}\`);
appendFileSync(join(process.env.LC_FAKE_STATE, 'calls.log'), JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }) + '\\n');
if (mode === 'deploy') { writeFileSync(state, arg('--version')); console.log(\`dep-\${arg('--version')}\\nmore output\`); }
if (mode === 'version') console.log(readFileSync(state, 'utf8'));
if (mode === 'garbage') console.log('<html>oops</html>');
if (mode === 'fail') { process.stderr.write('START-' + 'x'.repeat(2000) + '-END'); process.exit(3); }
if (mode === 'hang') { process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); }
`;

const toolArgs = ['--service', '{service}', '--env', '{environment}', '--slot', '{slot}'];
const canary = { service: 'shop', environment: 'prod', slot: 'canary' as const };

function deployerConfig(mode: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'command',
    deploy: [
      node,
      join(dir, 'tool.mjs'),
      mode,
      ...toolArgs,
      '--version',
      '{version}',
      '--tag={service}:{version}',
    ],
    currentVersion: [node, join(dir, 'tool.mjs'), 'version', ...toolArgs],
    ...extra,
  };
}

function registryWith(config: unknown) {
  return createIntegrationRegistry(loadIntegrationsConfig(config));
}

async function calls(): Promise<{ argv: string[]; cwd: string }[]> {
  const text = await readFile(join(dir, 'state', 'calls.log'), 'utf8').catch(() => '');
  return text.trim() === ''
    ? []
    : text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lc-cmd-files-'));
  await mkdir(join(dir, 'state'));
  await writeFile(join(dir, 'tool.mjs'), TOOL);
  // Run directly (argv[0] is the script): a shebang executable printing nothing.
  await writeFile(join(dir, 'silent-deploy'), '#!/usr/bin/env node\n');
  await chmod(join(dir, 'silent-deploy'), 0o755);
  process.env.LC_FAKE_STATE = join(dir, 'state');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('command deployer', () => {
  it('deploys through argv placeholders and reads the version back', async () => {
    const deployer = registryWith({ deployer: { cmd: deployerConfig('deploy', { cwd: dir }) } }).get(
      'deployer',
      'cmd',
    );
    assert.deepEqual(await deployer.deploy(canary, '3.1.0+build.7'), { deploymentId: 'dep-3.1.0+build.7' });
    assert.equal(await deployer.currentVersion(canary), '3.1.0+build.7');
    const [deploy] = await calls();
    assert.deepEqual(deploy?.argv.slice(-3), ['--version', '3.1.0+build.7', '--tag=shop:3.1.0+build.7']);
    assert.equal(deploy?.cwd, dir);
  });

  it('generates a deployment id when the command prints nothing', async () => {
    const silent = { ...deployerConfig('deploy'), deploy: [join(dir, 'silent-deploy'), '{service}'] };
    const deployer = registryWith({ deployer: { cmd: silent } }).get('deployer', 'cmd');
    const { deploymentId } = await deployer.deploy(canary, '1.0.0');
    assert.match(deploymentId, /^cmd-[0-9a-f-]{36}$/);
  });

  it('refuses invalid values before running anything', async () => {
    const deployer = registryWith({ deployer: { cmd: deployerConfig('deploy') } }).get('deployer', 'cmd');
    const before = (await calls()).length;
    const bad: [typeof canary, string][] = [
      [{ ...canary, service: 'Shop' }, '1.0.0'],
      [{ ...canary, service: '../etc' }, '1.0.0'],
      [{ ...canary, environment: 'prod --force' }, '1.0.0'],
      [{ ...canary, slot: 'blue' as 'canary' }, '1.0.0'],
      [canary, '1.0.0; rm -rf /'],
      [canary, '-rf'],
      [canary, ''],
    ];
    for (const [target, version] of bad) {
      await assert.rejects(
        deployer.deploy(target, version),
        RangeError,
        `${JSON.stringify(target)} ${version}`,
      );
    }
    await assert.rejects(deployer.currentVersion({ ...canary, service: 'a\nb' }), RangeError);
    assert.equal((await calls()).length, before, 'no process may have run');
  });

  it('reports exit code and the last 500 characters of stderr', async () => {
    const deployer = registryWith({ deployer: { cmd: deployerConfig('fail') } }).get('deployer', 'cmd');
    process.env.LC_FAKE_SECRET = 'hunter2-not-in-errors';
    const error = await deployer.deploy(canary, '1.0.0').then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    delete process.env.LC_FAKE_SECRET;
    assert.ok(error instanceof CommandError);
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /exited with code 3; stderr: …x+-END$/);
    assert.ok(error.stderrTail.length <= 501 && !error.stderrTail.includes('START'));
    assert.ok(!error.message.includes('hunter2') && !error.message.includes(String(process.env.PATH)));
  });

  it('refuses garbage as a version, and reports timeouts and missing programs', async () => {
    const garbage = { ...deployerConfig('deploy'), currentVersion: [node, join(dir, 'tool.mjs'), 'garbage'] };
    const registry = registryWith({
      deployer: {
        garbage,
        hang: deployerConfig('hang', { timeoutMs: 200 }),
        missing: { ...deployerConfig('deploy'), deploy: [join(dir, 'no-such-tool')] },
      },
    });
    await assert.rejects(
      registry.get('deployer', 'garbage').currentVersion(canary),
      /printed "<html>oops<\/html>", not a version/,
    );
    const started = Date.now();
    await assert.rejects(registry.get('deployer', 'hang').deploy(canary, '1.0.0'), /timed out after 200ms/);
    assert.ok(Date.now() - started < 5000, 'a command ignoring SIGTERM is killed');
    await assert.rejects(
      registry.get('deployer', 'missing').deploy(canary, '1.0.0'),
      /could not be started \(ENOENT\)/,
    );
  });

  it('validates the configuration', () => {
    const bad = {
      deployer: {
        prog: { ...deployerConfig('deploy'), deploy: ['/opt/{service}/deploy.sh'] },
        typo: { ...deployerConfig('deploy'), deploy: ['/opt/deploy.sh', '{versoin}'] },
        cur: { ...deployerConfig('deploy'), currentVersion: ['/opt/v.sh', '{version}'] },
        empty: { ...deployerConfig('deploy'), deploy: [] },
        cwd: deployerConfig('deploy', { cwd: 'relative/dir' }),
      },
    };
    assert.throws(
      () => loadIntegrationsConfig(bad),
      (error: Error) =>
        ['prog.deploy', 'typo.deploy', 'cur.currentVersion', 'empty.deploy', 'cwd.cwd'].every((path) =>
          error.message.includes(`deployer.${path}:`),
        ),
    );
  });
});

describe('file config source', () => {
  let root: string;
  before(async () => {
    root = join(dir, 'config');
    await mkdir(join(root, 'shop', 'prod'), { recursive: true });
    await mkdir(join(dir, 'outside'));
    await writeFile(join(root, 'shop', 'prod', '.env'), 'LOG_LEVEL=info\n');
    await writeFile(join(root, 'shop', 'prod', 'flags.json'), '{"new-checkout":true}');
    await writeFile(join(root, 'shop', 'package-lock.json'), '{"lockfileVersion":3}');
    await writeFile(join(dir, 'outside', 'secret.env'), 'SECRET=1\n');
    await mkdir(join(root, 'leaky', 'prod'), { recursive: true });
    await symlink(join(dir, 'outside', 'secret.env'), join(root, 'leaky', 'prod', '.env'));
    await symlink(join(root, 'shop', 'prod', 'flags.json'), join(root, 'leaky', 'prod', 'flags.json'));
    await symlink(join(dir, 'outside'), join(root, 'linked'));
    await mkdir(join(root, 'odd', 'prod', '.env'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'odd', 'prod', 'flags.json')]);
  });

  const codeOf = (code: string) => (error: unknown) =>
    error instanceof ConfigFileError && error.code === code;

  it('reads the default layout and custom templates', async () => {
    const source = registryWith({ config: { files: { type: 'files', directory: root } } }).get(
      'config',
      'files',
    );
    assert.equal(await source.read('shop', 'prod', 'env'), 'LOG_LEVEL=info\n');
    assert.deepEqual(JSON.parse(await source.read('shop', 'prod', 'flags')), { 'new-checkout': true });
    assert.equal(JSON.parse(await source.read('shop', 'prod', 'lockfile')).lockfileVersion, 3);
    // A symlink that stays inside the directory is fine.
    assert.equal(await source.read('leaky', 'prod', 'flags'), '{"new-checkout":true}');
    await assert.rejects(source.read('shop', 'staging', 'env'), codeOf('NOT_FOUND'));
    const custom = registryWith({
      config: { c: { type: 'files', directory: dir, files: { env: 'config/{service}/{environment}/.env' } } },
    }).get('config', 'c');
    assert.equal(await custom.read('shop', 'prod', 'env'), 'LOG_LEVEL=info\n');
  });

  it('refuses traversal, escaping symlinks and non-regular files', async () => {
    const source = createFilesConfigSource({ type: 'files', directory: root }, { name: 'config/files' });
    for (const [service, environment] of [
      ['..', 'prod'],
      ['../outside', 'prod'],
      ['shop', '../../outside'],
      ['shop/', 'prod'],
    ]) {
      await assert.rejects(source.read(service ?? '', environment ?? '', 'env'), codeOf('INVALID'));
    }
    await assert.rejects(source.read('shop', 'prod', 'secrets' as 'env'), codeOf('INVALID'));
    await assert.rejects(source.read('leaky', 'prod', 'env'), codeOf('OUTSIDE'));
    // Through a symlinked directory: OUTSIDE whether or not the file exists there (no probing).
    await assert.rejects(source.read('linked', 'prod', 'lockfile'), codeOf('OUTSIDE'));
    await writeFile(join(dir, 'outside', 'package-lock.json'), '{}');
    await assert.rejects(source.read('linked', 'prod', 'lockfile'), codeOf('OUTSIDE'));
    await assert.rejects(source.read('odd', 'prod', 'env'), codeOf('NOT_A_FILE'));
    await assert.rejects(source.read('odd', 'prod', 'flags'), codeOf('NOT_A_FILE')); // a FIFO, not blocking
    // Templates are checked by the schema; a hand-built config is still confined at read time.
    for (const env of ['../outside/secret.env', '/etc/passwd', '{service}/../../outside/secret.env']) {
      const handBuilt = createFilesConfigSource(
        { type: 'files', directory: root, files: { env } },
        { name: 'x' },
      );
      await assert.rejects(handBuilt.read('shop', 'prod', 'env'), codeOf('OUTSIDE'), env);
    }
    assert.throws(
      () =>
        loadIntegrationsConfig({ config: { f: { type: 'files', directory: root, files: { env: '../x' } } } }),
      /config\.f\.files\.env:/,
    );
    assert.throws(
      () => loadIntegrationsConfig({ config: { f: { type: 'files', directory: 'rel' } } }),
      /config\.f\.directory:/,
    );
  });
});
