// Installs npm dependencies when they are missing or stale, and checks the native pieces load.
// Plain Node on purpose: it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const installed = `${root}node_modules/.package-lock.json`;
const stale =
  !existsSync(installed) || statSync(`${root}package-lock.json`).mtimeMs > statSync(installed).mtimeMs;
if (stale) {
  console.error('[deps] installing npm dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
const require = createRequire(`${root}package.json`);
for (const native of ['@temporalio/core-bridge', '@swc/core']) {
  try {
    require(native);
  } catch (err) {
    console.error(
      `[deps] ${native} does not load (${err.message}). Run "npm rebuild ${native}" or reinstall with "npm ci".`,
    );
    process.exit(1);
  }
}
