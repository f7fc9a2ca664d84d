/**
 * Finds or builds the Temporal CLI (server + UI in one binary). Order: `TEMPORAL_CLI_PATH` →
 * `temporal` on PATH → cached build in `.temporal/bin` → `go install` from the Go module proxy
 * (v1.5.1: the newest release whose go.mod has no `replace`, which `go install` refuses).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { findExecutable, isExecutable } from './executables.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const CACHED_CLI = join(PROJECT_ROOT, '.temporal', 'bin', 'temporal');

export async function resolveTemporalCli(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = findExecutable('temporal');
  if (found) return found;
  if (isExecutable(CACHED_CLI)) return CACHED_CLI;

  const go = findExecutable('go');
  if (!go)
    throw new Error(
      'The Temporal CLI was not found and Go is not installed to build it. Install Go (https://go.dev/doc/install) ' +
        `or the Temporal CLI, or set TEMPORAL_CLI_PATH to its path.`,
    );
  mkdirSync(join(PROJECT_ROOT, '.temporal', 'bin'), { recursive: true });
  log(
    `[temporal] building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into .temporal/bin (first run only; takes a few minutes)…`,
  );
  const started = Date.now();
  await new Promise<void>((resolveBuild, reject) => {
    const build = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: {
        ...process.env,
        GOBIN: join(PROJECT_ROOT, '.temporal', 'bin'),
        GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const ticker = setInterval(
      () => log(`[temporal] still building (${Math.round((Date.now() - started) / 1000)}s)…`),
      30_000,
    );
    build.on('error', reject);
    build.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolveBuild();
      else
        reject(new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed (exit ${code})`));
    });
  });
  if (!existsSync(CACHED_CLI)) throw new Error(`go install finished but ${CACHED_CLI} is missing`);
  log(
    `[temporal] built in ${Math.round((Date.now() - started) / 1000)}s: ${execFileSync(CACHED_CLI, ['--version']).toString().trim()}`,
  );
  return CACHED_CLI;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  resolveTemporalCli().then(
    (path) => console.log(path),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
