/** The integrations configuration named by `LAUNCH_CONTROL_INTEGRATIONS` (a JSON or YAML file). */
import { loadIntegrationsConfigFile, type IntegrationsConfig } from '../integrations/config.js';

export const INTEGRATIONS_ENV = 'LAUNCH_CONTROL_INTEGRATIONS';

export async function integrationsConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<IntegrationsConfig | null> {
  const path = env[INTEGRATIONS_ENV];
  return path ? loadIntegrationsConfigFile(path) : null;
}
