/**
 * Headless Chromium for browser tests: Debian's `chromium` package (installed with apt-get as root
 * when missing), driven by `playwright-core`, which never downloads a browser of its own.
 */
import { spawnSync } from 'node:child_process';
import { findExecutable, isExecutable } from './executables.js';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags this closed network needs: no sandbox (root), no GPU, no calls home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function run(log: (line: string) => void, command: string, args: string[]): void {
  log(`[browser] $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
}

let aptUpdated = false;

/** The path of Debian's Chromium, installing the `chromium` package first when possible. */
export function ensureChromium(log: (line: string) => void = (l) => console.error(l)): string {
  if (isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || findExecutable('apt-get', ['/usr/sbin', '/usr/bin']) === null) {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}, which is not installed. Install the Debian/Ubuntu package: ` +
        'sudo apt-get install -y --no-install-recommends chromium',
    );
  }
  log("[browser] installing Debian's chromium package (needed by the browser tests)");
  if (!aptUpdated) {
    run(log, 'apt-get', ['update']);
    aptUpdated = true;
  }
  run(log, 'apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  if (!isExecutable(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} still not found after installing chromium; check the apt-get output above`,
    );
  }
  return CHROMIUM_PATH;
}

/** A headless Chromium (installed first if needed). Close it with `browser.close()`. */
export async function launchBrowser(log?: (line: string) => void): Promise<Browser> {
  const executablePath = ensureChromium(log);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
