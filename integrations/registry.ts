/**
 * Resolves (kind, name) to an adapter built from server configuration. Adapters are built lazily,
 * on first use, and then reused; a name that is not configured is an `UnknownIntegrationError`.
 */
import type { AdapterConfig, IntegrationsConfig } from './config.js';
import type { AdapterContext } from './http/client.js';
import { createHttpBackups } from './http/backups.js';
import { createHttpConfigSource } from './http/config-source.js';
import { createWebhookDeployer } from './http/deployer-webhook.js';
import { createHttpDocs } from './http/docs.js';
import { createGithubCiStatus } from './http/github-ci.js';
import { createGithubTracker } from './http/github-tracker.js';
import { createHttpHealthProbe } from './http/health.js';
import { createHttpDataIntegrity } from './http/integrity.js';
import { createPagerdutyIncidents } from './http/pagerduty-incidents.js';
import { createPagerdutyOnCall } from './http/pagerduty-oncall.js';
import { createPrometheusMetrics } from './http/prometheus.js';
import { createSlackNotifier } from './http/slack-notifier.js';
import { createWebhookTrafficRouter } from './http/traffic-webhook.js';
import { createVaultSecrets } from './http/vault-secrets.js';
import {
  UnknownIntegrationError,
  type IntegrationKind,
  type IntegrationKinds,
  type IntegrationRegistry,
} from './types.js';

type AdapterFactory<K extends IntegrationKind> = (
  config: AdapterConfig<K>,
  context: AdapterContext,
) => IntegrationKinds[K];

/**
 * One factory per kind. Each kind's config is a union on `type`; a kind with a single adapter type
 * needs no switch yet, and TypeScript flags these entries when a new `type` is added to a union.
 */
const factories: { [K in IntegrationKind]: AdapterFactory<K> } = {
  metrics: createPrometheusMetrics,
  traffic: createWebhookTrafficRouter,
  deployer: createWebhookDeployer,
  health: createHttpHealthProbe,
  config: createHttpConfigSource,
  notifier: createSlackNotifier,
  ci: createGithubCiStatus,
  oncall: createPagerdutyOnCall,
  incidents: createPagerdutyIncidents,
  tracker: createGithubTracker,
  docs: createHttpDocs,
  secrets: createVaultSecrets,
  backups: createHttpBackups,
  integrity: createHttpDataIntegrity,
};

export type ConfiguredIntegrationRegistry = IntegrationRegistry & {
  /** Names configured for a kind, e.g. to validate a plan before starting a workflow. */
  names(kind: IntegrationKind): string[];
};

export type IntegrationRegistryOptions = {
  /** Where `tokenEnv` variables are read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
};

export function createIntegrationRegistry(
  config: IntegrationsConfig,
  options: IntegrationRegistryOptions = {},
): ConfiguredIntegrationRegistry {
  const built = new Map<string, unknown>();
  const env = options.env ?? process.env;

  function configFor<K extends IntegrationKind>(kind: K, name: string): AdapterConfig<K> | undefined {
    const ofKind = config[kind] as Record<string, AdapterConfig<K>> | undefined;
    // hasOwn: a name like "constructor" must not resolve to Object.prototype members.
    return ofKind !== undefined && Object.hasOwn(ofKind, name) ? ofKind[name] : undefined;
  }

  return {
    get<K extends IntegrationKind>(kind: K, name: string): IntegrationKinds[K] {
      const key = `${kind}\u0000${name}`;
      const cached = built.get(key);
      if (cached !== undefined) return cached as IntegrationKinds[K];
      const adapterConfig = configFor(kind, name);
      if (adapterConfig === undefined) throw new UnknownIntegrationError(kind, name);
      const adapter = factories[kind](adapterConfig, { name: `${kind}/${name}`, env });
      built.set(key, adapter);
      return adapter;
    },
    names(kind) {
      return Object.keys(config[kind] ?? {});
    },
  };
}
