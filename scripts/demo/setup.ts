/**
 * Finds (or, as root with apt-get, installs) the real HAProxy and Prometheus the demo stack runs.
 * The Debian packages would normally start their own daemons on install; we never use their default
 * configuration or ports, and make sure they are not started (policy-rc.d) or left running.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { findExecutable } from '../executables.js';
import type { Log } from './processes.js';

export type DemoBinaries = { haproxy: string; prometheus: string };

const PACKAGES = ['haproxy', 'prometheus'] as const;
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** Debian installs haproxy in /usr/sbin, which a non-login PATH may lack. */
const SBIN = ['/usr/sbin', '/usr/bin'];

function run(log: Log, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  log(`[demo] $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
}

/** Stops and disables the packages' own services if the install started them (systemd or SysV). */
function stopPackageDaemons(log: Log, packages: readonly string[]): void {
  const systemd = existsSync('/run/systemd/system');
  for (const name of packages) {
    if (systemd) {
      if (spawnSync('systemctl', ['is-active', '--quiet', name]).status === 0) {
        run(log, 'systemctl', ['disable', '--now', name]);
      }
    } else if (existsSync(`/etc/init.d/${name}`)) {
      spawnSync(`/etc/init.d/${name}`, ['stop'], { stdio: 'ignore' });
    }
  }
}

let aptUpdated = false;

function installWithApt(log: Log, packages: readonly string[]): void {
  log(`[demo] installing ${packages.join(' ')} from the Debian packages (needed by the demo stack)`);
  // policy-rc.d exit 101 = "do not start services": the install must not start daemons.
  const addedPolicy = !existsSync(POLICY_RC_D);
  if (addedPolicy)
    writeFileSync(POLICY_RC_D, '#!/bin/sh\n# added by the launch-control demo setup\nexit 101\n', {
      mode: 0o755,
    });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      run(log, 'apt-get', ['update'], env);
      aptUpdated = true;
    }
    run(log, 'apt-get', ['install', '-y', '--no-install-recommends', ...packages], env);
  } finally {
    if (addedPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  stopPackageDaemons(log, packages);
}

/** The paths of `haproxy` and `prometheus`, installing the packages first when possible. */
export function ensureDemoBinaries(log: Log = console.log): DemoBinaries {
  const found = () => ({
    haproxy: findExecutable('haproxy', SBIN),
    prometheus: findExecutable('prometheus', SBIN),
  });
  let paths = found();
  const missing = PACKAGES.filter((name) => paths[name] === null);
  if (missing.length > 0) {
    const isRoot = process.getuid?.() === 0;
    if (!isRoot || findExecutable('apt-get', SBIN) === null) {
      throw new Error(
        `the demo stack needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed. ` +
          `Install the Debian/Ubuntu package${missing.length > 1 ? 's' : ''}: ` +
          `sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
      );
    }
    installWithApt(log, missing);
    paths = found();
  }
  const { haproxy, prometheus } = paths;
  if (haproxy === null || prometheus === null) {
    throw new Error(
      'haproxy/prometheus still not found after installing them; check the apt-get output above',
    );
  }
  return { haproxy, prometheus };
}
