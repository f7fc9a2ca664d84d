/**
 * Child processes of the demo stack: free ports, spawning so that nothing outlives the stack, and
 * stopping (TERM, then KILL). Every child runs in its own process group (Ctrl-C in a terminal
 * reaches only the stack, which then stops its children in order) and is tied to the stack's life
 * by `setpriv --pdeathsig KILL` (util-linux) when available; the demo services also exit when their
 * IPC channel to the stack closes.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

export type Log = (line: string) => void;

/** Distinct free TCP ports on 127.0.0.1 (all held open together, so no duplicates). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  setprivAvailable ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable;
}

export type ManagedProcess = {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<string>;
  isRunning(): boolean;
};

export function spawnManaged(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Adds an IPC channel (the child then sees `process.send`/`disconnect`). */
  ipc?: boolean;
}): ManagedProcess {
  const out = openSync(opts.logFile, 'a');
  const stdio: StdioOptions = ['ignore', out, out, ...(opts.ipc ? (['ipc'] as const) : [])];
  // PDEATHSIG: the kernel kills the child if we die without cleaning up (SIGKILL, crash).
  const [command, args] = hasSetpriv()
    ? ['setpriv', ['--pdeathsig', 'KILL', '--', opts.command, ...opts.args]]
    : [opts.command, opts.args];
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio,
    detached: true, // own process group: we decide when it stops, not the terminal's Ctrl-C
  });
  closeSync(out);
  let running = child.pid !== undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      running = false;
      resolve(`failed to start: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      running = false;
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
  });
  return { name: opts.name, child, exited, isRunning: () => running };
}

function signalGroup(process_: ManagedProcess, signal: NodeJS.Signals): void {
  const pid = process_.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal); // the whole group: the process and anything it started
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** TERM, then KILL after `graceMs`; resolves once the process has exited. */
export async function stopManaged(process_: ManagedProcess, graceMs = 5_000): Promise<void> {
  if (!process_.isRunning()) {
    signalGroup(process_, 'SIGKILL'); // stragglers in its group, if any
    return;
  }
  signalGroup(process_, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(process_, 'SIGKILL'), graceMs);
  await process_.exited;
  clearTimeout(timer);
  signalGroup(process_, 'SIGKILL');
}

/** Last resort on `process.exit`: synchronous KILL of every group still running. */
export function killAllNow(processes: Iterable<ManagedProcess>): void {
  for (const process_ of processes) if (process_.isRunning()) signalGroup(process_, 'SIGKILL');
}

/** Whether `pid` is alive and its command line mentions `marker` (so we never touch a reused pid). */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/**
 * The pid file lists the stack's children, so a stack that died without cleaning up (e.g. SIGKILL
 * on a system without setpriv) is cleaned up by the next start on the same data directory.
 */
export function killLeftovers(pidFile: string, marker: string, log: Log): void {
  if (!existsSync(pidFile)) return;
  let pids: number[] = [];
  try {
    pids = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pids?: number[] }).pids ?? [];
  } catch {
    // unreadable: nothing to do
  }
  for (const pid of pids) {
    if (!isOurProcess(pid, marker)) continue;
    log(`[demo] killing process ${pid} left over from a previous demo stack`);
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL'); // its process group (it led one), then itself
      } catch {
        // no such group / gone meanwhile
      }
    }
  }
  rmSync(pidFile, { force: true });
}

export function writePidFile(pidFile: string, processes: Iterable<ManagedProcess>): void {
  const pids = [...processes].filter((p) => p.isRunning()).map((p) => p.child.pid);
  writeFileSync(pidFile, `${JSON.stringify({ stack: process.pid, pids })}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; fails early if `process_` exits, or after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; process?: ManagedProcess; logFile?: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const seeLog = opts.logFile ? `; see ${opts.logFile}` : '';
  for (;;) {
    if (opts.process && !opts.process.isRunning()) {
      throw new Error(`${what}: ${opts.process.name} exited (${await opts.process.exited})${seeLog}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms${seeLog}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** GET `url` answered 2xx (and, if given, `accept(body)` holds). */
export async function httpOk(url: string, accept?: (body: string) => boolean): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  const body = await response.text();
  return response.ok && (accept ? accept(body) : true);
}
