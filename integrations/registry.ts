/**
 * Resolves (kind, name) to an adapter built from server configuration. Adapters are built lazily,
 * on first use, and then reused; a name that is not configured is an `UnknownIntegrationError`.
 */
import type { AdapterConfig, IntegrationsConfig } from './config.js';
import { createCommandDeployer } from './command/deployer-command.js';
import { createFilesConfigSource } from './files/config-files.js';
import { createHaproxyTrafficRouter } from './haproxy/traffic-haproxy.js';
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

/** The config of one adapter `type` of a kind, e.g. `ConfigOfType<'traffic', 'haproxy'>`. */
type ConfigOfType<K extends IntegrationKind, T extends string> = Extract<AdapterConfig<K>, { type: T }>;

/** Per kind, one factory per adapter `type`; TypeScript insists on an entry for every type. */
type FactoriesOf<K extends IntegrationKind> = {
  [T in AdapterConfig<K>['type']]: (
    config: ConfigOfType<K, T>,
    context: AdapterContext,
  ) => IntegrationKinds[K];
};

const factories: { [K in IntegrationKind]: FactoriesOf<K> } = {
  metrics: { prometheus: createPrometheusMetrics },
  traffic: { webhook: createWebhookTrafficRouter, haproxy: createHaproxyTrafficRouter },
  deployer: { webhook: createWebhookDeployer, command: createCommandDeployer },
  health: { http: createHttpHealthProbe },
  config: { http: createHttpConfigSource, files: createFilesConfigSource },
  notifier: { 'slack-webhook': createSlackNotifier },
  ci: { github: createGithubCiStatus },
  oncall: { pagerduty: createPagerdutyOnCall },
  incidents: { pagerduty: createPagerdutyIncidents },
  tracker: { github: createGithubTracker },
  docs: { http: createHttpDocs },
  secrets: { vault: createVaultSecrets },
  backups: { http: createHttpBackups },
  integrity: { http: createHttpDataIntegrity },
};

/** Dispatches on `type` (configs are validated, but a hand-built one may name an unknown type). */
function buildAdapter<K extends IntegrationKind>(
  kind: K,
  config: AdapterConfig<K>,
  context: AdapterContext,
): IntegrationKinds[K] {
  // The generic K cannot be correlated with the mapped table; the table itself is fully checked.
  const byType = factories[kind] as unknown as Record<
    string,
    ((config: AdapterConfig<K>, context: AdapterContext) => IntegrationKinds[K]) | undefined
  >;
  const factory = Object.hasOwn(byType, config.type) ? byType[config.type] : undefined;
  if (factory === undefined) {
    throw new Error(
      `integration "${context.name}": unknown ${kind} adapter type ${JSON.stringify(config.type)}`,
    );
  }
  return factory(config, context);
}

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
      const adapter = buildAdapter(kind, adapterConfig, { name: `${kind}/${name}`, env });
      built.set(key, adapter);
      return adapter;
    },
    names(kind) {
      return Object.keys(config[kind] ?? {});
    },
  };
}
