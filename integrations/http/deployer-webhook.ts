/** Deployer over a webhook: `POST /deploy`, `GET /deployments/{service}/{environment}/{slot}`. */
import { z } from 'zod';
import type { WebhookDeployerConfig } from '../config.js';
import type { Deployer } from '../types.js';
import { clientFor, pathOf, type AdapterContext } from './client.js';

const deployAccepted = z.looseObject({
  deploymentId: z.union([z.string().min(1), z.number()]).transform(String),
});
const slotState = z.looseObject({ version: z.string().min(1) });

export function createWebhookDeployer(config: WebhookDeployerConfig, context: AdapterContext): Deployer {
  const client = clientFor(config, context);
  return {
    isProduction: (environment) => config.productionEnvironments.includes(environment.trim().toLowerCase()),
    async deploy(target, version) {
      if (version.trim() === '') throw new Error('refusing to deploy an empty version');
      const { service, environment, slot } = target;
      return client.postJson('/deploy', { service, environment, slot, version }, deployAccepted);
    },
    async currentVersion(target) {
      const path = pathOf('deployments', target.service, target.environment, target.slot);
      return (await client.getJson(path, slotState)).version;
    },
  };
}
