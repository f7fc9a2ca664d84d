/**
 * Deployer over two local commands (argv, never a shell): `deploy` and `currentVersion`.
 *
 * Placeholders `{service}`, `{environment}`, `{slot}`, `{version}` are substituted inside each argv
 * element only, so a value can never become a second argument, let alone a shell command; and the
 * values are re-checked against the plan patterns before anything runs.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { CommandDeployerConfig } from '../config.js';
import type { AdapterContext } from '../http/client.js';
import { SLUG_PATTERN, VERSION_PATTERN } from '../patterns.js';
import type { DeployTarget, Deployer } from '../types.js';

const SLOTS = ['canary', 'stable'] as const;

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** After the timeout SIGTERM, a command still running this much later is SIGKILLed. */
const KILL_GRACE_MS = 2_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const STDERR_TAIL_CHARS = 500;

/** A command failed: non-zero exit, killed by a signal or the timeout, or could not start. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly program: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export type Placeholders = { service: string; environment: string; slot: string; version?: string };

/** Refuses values that do not match the plan patterns (before any process is started). */
export function assertPlaceholderValues(values: Placeholders): void {
  const problems: string[] = [];
  if (!SLUG_PATTERN.test(values.service)) problems.push(`service ${JSON.stringify(values.service)}`);
  if (!SLUG_PATTERN.test(values.environment)) {
    problems.push(`environment ${JSON.stringify(values.environment)}`);
  }
  if (!(SLOTS as readonly string[]).includes(values.slot))
    problems.push(`slot ${JSON.stringify(values.slot)}`);
  if (values.version !== undefined && !VERSION_PATTERN.test(values.version)) {
    problems.push(`version ${JSON.stringify(values.version)}`);
  }
  if (problems.length > 0)
    throw new RangeError(`refusing to run a command with invalid ${problems.join(', ')}`);
}

/** Substitutes placeholders inside each element; an unknown or unavailable placeholder is an error. */
export function expandArgv(argv: readonly string[], values: Placeholders): string[] {
  assertPlaceholderValues(values);
  if (argv.length === 0 || argv[0] === '') throw new Error('command argv is empty');
  return argv.map((arg) =>
    arg.replace(/\{([A-Za-z_]+)\}/g, (_whole, name: string) => {
      const value = Object.hasOwn(values, name) ? values[name as keyof Placeholders] : undefined;
      if (value === undefined) throw new Error(`placeholder {${name}} is not available in this command`);
      return value;
    }),
  );
}

function tail(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.length > STDERR_TAIL_CHARS ? `…${trimmed.slice(-STDERR_TAIL_CHARS)}` : trimmed;
}

type RunOptions = { timeoutMs: number; cwd: string | undefined };

/** Runs argv without a shell; resolves with stdout on exit 0, rejects with `CommandError` otherwise. */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<string> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('command argv is empty'));
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = execFile(
      program,
      args,
      { cwd: options.cwd, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        if (!error) return resolve(stdout);
        const failure = error as NodeJS.ErrnoException & { code?: number | string; signal?: string | null };
        const exitCode = typeof failure.code === 'number' ? failure.code : null;
        const signal = failure.signal ?? null;
        let reason: string;
        if (timedOut) reason = `timed out after ${options.timeoutMs}ms`;
        else if (failure.code === 'ENOENT' || failure.code === 'EACCES') {
          reason = `could not be started (${failure.code})`;
        } else if (typeof failure.code === 'string') reason = `failed (${failure.code})`;
        else if (exitCode !== null) reason = `exited with code ${exitCode}`;
        else if (signal !== null) reason = `was killed by ${signal}`;
        else reason = failure.message.split('\n')[0] ?? 'failed';
        const stderrTail = tail(String(stderr ?? ''));
        // Only the program and the reason: argv values are known, the environment is never printed.
        const message = `command ${program} ${reason}${stderrTail ? `; stderr: ${stderrTail}` : ''}`;
        reject(new CommandError(message, program, exitCode, signal, stderrTail));
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    }, options.timeoutMs);
  });
}

function firstLine(stdout: string): string {
  return (stdout.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim();
}

export function createCommandDeployer(config: CommandDeployerConfig, context: AdapterContext): Deployer {
  const options: RunOptions = {
    timeoutMs: config.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    cwd: config.cwd,
  };
  const describe = (target: DeployTarget) =>
    `integration "${context.name}" (${target.service}/${target.environment}/${target.slot})`;
  return {
    isProduction: (environment) => config.productionEnvironments.includes(environment.trim().toLowerCase()),
    async deploy(target, version) {
      const { service, environment, slot } = target;
      const argv = expandArgv(config.deploy, { service, environment, slot, version });
      const stdout = await runCommand(argv, options);
      const id = firstLine(stdout).slice(0, 200);
      return { deploymentId: id !== '' ? id : `cmd-${randomUUID()}` };
    },
    async currentVersion(target) {
      const { service, environment, slot } = target;
      const argv = expandArgv(config.currentVersion, { service, environment, slot });
      const version = firstLine(await runCommand(argv, options));
      if (!VERSION_PATTERN.test(version)) {
        const shown = version === '' ? 'nothing' : JSON.stringify(version.slice(0, 80));
        throw new Error(`${describe(target)}: currentVersion printed ${shown}, not a version`);
      }
      return version;
    },
  };
}
