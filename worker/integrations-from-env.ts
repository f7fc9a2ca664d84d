/** The integrations configuration named by `LAUNCH_CONTROL_INTEGRATIONS` (a JSON or YAML file). */
import { loadIntegrationsConfigFile, type IntegrationsConfig } from '../integrations/config.js';
import type { ConfiguredIntegrationRegistry } from '../integrations/registry.js';
import type { IntegrationKind } from '../integrations/types.js';

export const INTEGRATIONS_ENV = 'LAUNCH_CONTROL_INTEGRATIONS';

export async function integrationsConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<IntegrationsConfig | null> {
  const path = env[INTEGRATIONS_ENV];
  return path ? loadIntegrationsConfigFile(path) : null;
}

/** For the API: which names a plan may use for each kind of integration. */
export function configuredNames(registry: ConfiguredIntegrationRegistry): (kind: string) => string[] {
  return (kind) => registry.names(kind as IntegrationKind);
}
