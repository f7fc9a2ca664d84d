/** Runs the CLI as a user does: `node cli/bin.mjs …` child processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

export type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** The caller's environment without the CLI's own variables (so a developer's shell cannot leak in). */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['LAUNCH_CONTROL_API', 'LAUNCH_CONTROL_TOKEN', 'LAUNCH_CONTROL_USER']) delete env[key];
  return { ...env, ...extra };
}

/** Starts `node cli/bin.mjs …`; `--api` is added unless the args name one. */
export function spawnCli(apiUrl: string, args: string[], env: Record<string, string> = {}) {
  const withApi = args.includes('--api') ? args : [...args, '--api', apiUrl];
  const child = spawn(process.execPath, [BIN, ...withApi], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (run.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (run.stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ ...run, code, signal });
    }),
  );
  let closed = false;
  void done.then(() => (closed = true));
  /** Waits until the output so far satisfies `predicate`. */
  const waitFor = async (predicate: (stdout: string) => boolean, what: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(run.stdout)) {
      if (closed || Date.now() > deadline)
        assert.fail(`${what}: not seen (${closed ? 'exited' : 'timed out'}); ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, done, waitFor, run };
}

export const show = (r: Run) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
