/**
 * Everything a launch talks to on one machine: the demo stack (real Prometheus, HAProxy, deploy
 * controller, demo service) for what a launch measures and moves, real config files for the
 * lockdown, and the sandbox's simulated organisation systems (CI, on-call, incidents, tracker,
 * docs, secrets, backups, chat) for the rest, which have no local counterpart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrationsConfig } from '../../integrations/config.js';
import { DEFAULT_LOCKFILE, startWorld, type World } from '../sandbox/world.js';
import { startDemoStack, type DemoStack, type DemoStackOptions } from './stack.js';
import { DEMO_ENVIRONMENTS, DEMO_SERVICE } from './versions.js';

export type DemoEnvironmentHandle = {
  stack: DemoStack;
  world: World;
  integrationsConfig: IntegrationsConfig;
  stop: () => Promise<void>;
};

/** The service's config artefacts as a deployment would keep them, for the lockdown to lock. */
function writeServiceConfig(directory: string) {
  for (const environment of DEMO_ENVIRONMENTS) {
    const dir = join(directory, DEMO_SERVICE, environment);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, '.env'),
      `LOG_LEVEL=info\nDEBUG=false\nDATABASE_URL=postgres://checkout@db/checkout\n`,
    );
    writeFileSync(
      join(dir, 'flags.json'),
      `${JSON.stringify({ 'new-checkout': true, 'debug-panel': false }, null, 2)}\n`,
    );
  }
  writeFileSync(join(directory, DEMO_SERVICE, 'package-lock.json'), DEFAULT_LOCKFILE);
}

export async function startDemoEnvironment(opts: DemoStackOptions = {}): Promise<DemoEnvironmentHandle> {
  const stack = await startDemoStack(opts);
  let world: World;
  try {
    world = await startWorld();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const configDir = join(stack.dataDir, 'config');
  writeServiceConfig(configDir);
  const organisation = world.integrationsConfig();
  const integrationsConfig: IntegrationsConfig = {
    notifier: organisation.notifier,
    ci: organisation.ci,
    oncall: organisation.oncall,
    incidents: organisation.incidents,
    tracker: organisation.tracker,
    docs: organisation.docs,
    secrets: organisation.secrets,
    backups: organisation.backups,
    config: { default: { type: 'files', directory: configDir } },
    ...stack.integrationsConfig(),
  };
  return {
    stack,
    world,
    integrationsConfig,
    stop: async () => {
      await world.close();
      await stack.stop();
    },
  };
}
