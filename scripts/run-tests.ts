/**
 * `npm test`: unit tests, then workflow tests (real Temporal dev server), then API tests. Test
 * files run one at a time: each starts its own dev server and 2 cores are the budget. The
 * Temporal CLI is found or built first, once, with progress shown.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, resolveTemporalCli } from './temporal-cli.js';

const GROUPS = ['unit', 'workflow', 'api', 'security', 'cli', 'browser', 'demo', 'reliability', 'e2e'];
const only = process.argv.slice(2);

const unknown = only.filter((g) => !GROUPS.includes(g));
if (unknown.length > 0) {
  console.error(`[test] unknown group(s): ${unknown.join(', ')} (groups: ${GROUPS.join(' ')})`);
  process.exit(2);
}
const files = GROUPS.filter((g) => only.length === 0 || only.includes(g)).flatMap((group) =>
  (existsSync(join(PROJECT_ROOT, 'test', group)) ? readdirSync(join(PROJECT_ROOT, 'test', group)) : [])
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join('test', group, f)),
);

if (files.some((f) => !f.startsWith(join('test', 'unit')))) {
  process.env.TEMPORAL_CLI_PATH = await resolveTemporalCli((line) => console.log(line));
  console.log(`[test] Temporal CLI: ${process.env.TEMPORAL_CLI_PATH}`);
}
console.log(`[test] ${files.length} test files`);
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  cwd: PROJECT_ROOT,
  stdio: 'inherit',
  env: process.env,
});
process.exit(run.status ?? 1);
