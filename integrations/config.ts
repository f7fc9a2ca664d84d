/**
 * Server-side integrations configuration: which external systems this server talks to, by name.
 *
 * Plans only carry integration *names*; everything here (URLs, token variable names) stays on the
 * server. Each kind maps names to a discriminated union on `type` (traffic: webhook | haproxy,
 * deployer: webhook | command, config: http | files); a new adapter type is a new union member.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { person } from '../domain/plan.js';

export const INTEGRATION_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

const integrationName = z
  .string()
  .regex(INTEGRATION_NAME_PATTERN, 'integration names are 1–63 letters, digits, ".", "_" or "-"');

function parseUrlOrNull(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null; // reported by the `z.url()` check; refinements still run after it
  }
}

/** http(s) only; credentials in a URL would end up in logs and error messages, so they are refused. */
const httpUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
  .refine((value) => {
    const parsed = parseUrlOrNull(value);
    return parsed === null || (parsed.username === '' && parsed.password === '');
  }, 'must not contain credentials; use tokenEnv')
  .refine((value) => (parseUrlOrNull(value)?.search ?? '') === '', 'must not contain a query string');

const timeoutMs = z.number().int().min(1).max(600_000).optional();

/** Name of the environment variable holding a bearer token (the value itself never appears in config). */
const tokenEnv = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  .optional();

const channelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'invalid channel name');

export const prometheusMetricsSchema = z.strictObject({
  type: z.literal('prometheus'),
  url: httpUrl,
  timeoutMs,
});
export const webhookTrafficSchema = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
/**
 * The environments this deployer deploys production to: the rollback drill refuses to deploy to
 * them whatever a plan calls its environments (server config, so no plan can change it).
 */
const productionEnvironments = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/))
  .min(1)
  .default(['production']);
export const webhookDeployerSchema = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  productionEnvironments,
  timeoutMs,
  tokenEnv,
});
/** An absolute filesystem path (sockets, directories, working directories). */
const absolutePath = z
  .string()
  .regex(/^\/[^\0\n\r]*$/, 'must be an absolute path')
  .max(4096);

/** HAProxy proxy and server names: the characters HAProxy itself allows (no spaces, ";", "/"). */
export const HAPROXY_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const haproxyName = z.string().regex(HAPROXY_NAME_PATTERN, 'letters, digits, "_", ".", ":" or "-"');

export const haproxyTrafficSchema = z
  .strictObject({
    type: z.literal('haproxy'),
    /** Unix socket of the runtime API (`stats socket … level admin`). */
    socket: absolutePath.optional(),
    /** `host:port` of a TCP runtime API (`stats socket ipv4@host:port level admin`). */
    address: z
      .string()
      .regex(/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/, 'must be host:port')
      .optional(),
    /** Backend name template; `{service}` and `{environment}` are filled in. */
    backend: z
      .string()
      .regex(
        /^(?:[A-Za-z0-9_.:-]|\{service\}|\{environment\})+$/,
        'HAProxy name characters and the placeholders {service} and {environment}',
      )
      .default('{service}-{environment}'),
    stableServer: haproxyName.default('stable'),
    canaryServer: haproxyName.default('canary'),
    timeoutMs,
  })
  .refine((c) => (c.socket === undefined) !== (c.address === undefined), {
    message: 'exactly one of socket and address is required',
    path: ['socket'],
  })
  .refine((c) => c.stableServer !== c.canaryServer, {
    message: 'must differ from stableServer',
    path: ['canaryServer'],
  });

/** `{name}` placeholders of an argv element; only the listed ones may be used. */
function usesOnlyPlaceholders(allowed: readonly string[]) {
  return (argv: readonly string[]) =>
    argv.every((arg) => [...arg.matchAll(/\{([A-Za-z_]+)\}/g)].every((m) => allowed.includes(m[1] ?? '')));
}
const argv = z
  .array(z.string().min(1).max(4096))
  .min(1)
  .max(256)
  .refine((a) => !(a[0] ?? '').includes('{'), 'the program (first element) cannot contain placeholders');

export const commandDeployerSchema = z.strictObject({
  type: z.literal('command'),
  /** argv of the deploy command; `{service}`, `{environment}`, `{slot}`, `{version}` are filled in. */
  deploy: argv.refine(
    usesOnlyPlaceholders(['service', 'environment', 'slot', 'version']),
    'placeholders are {service}, {environment}, {slot} and {version}',
  ),
  /** argv printing the slot's version on stdout; `{service}`, `{environment}`, `{slot}`. */
  currentVersion: argv.refine(
    usesOnlyPlaceholders(['service', 'environment', 'slot']),
    'placeholders are {service}, {environment} and {slot}',
  ),
  productionEnvironments,
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  cwd: absolutePath.optional(),
});

/** A path template relative to `directory`; no absolute paths and no `..` segments. */
const relativeTemplate = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (t) => !t.startsWith('/') && !t.includes('\0') && !t.split(/[\\/]/).includes('..'),
    'must be a relative path without ".." segments',
  );

export const filesConfigSourceSchema = z.strictObject({
  type: z.literal('files'),
  directory: absolutePath,
  /** Defaults: `{service}/{environment}/.env`, `{service}/{environment}/flags.json`, `{service}/package-lock.json`. */
  files: z
    .strictObject({
      env: relativeTemplate.optional(),
      flags: relativeTemplate.optional(),
      lockfile: relativeTemplate.optional(),
    })
    .optional(),
});

export const httpHealthSchema = z.strictObject({ type: z.literal('http'), url: httpUrl, timeoutMs });
export const httpConfigSourceSchema = z.strictObject({
  type: z.literal('http'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
export const slackNotifierSchema = z.strictObject({
  type: z.literal('slack-webhook'),
  /** Base URL; a channel posts to `${url}/${channel}`. */
  url: httpUrl,
  channels: z.array(channelName).min(1),
  /**
   * A channel only that person reads (a Slack incoming webhook bound to their direct messages), by
   * approver name: where one-time approval codes go. Never a shared channel.
   */
  privateChannels: z.record(z.string().min(1).max(120), channelName).default({}),
  timeoutMs,
  tokenEnv,
});
export const githubCiSchema = z.strictObject({
  type: z.literal('github'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
/**
 * Who acknowledges for an on-call person: PagerDuty names people by display name ("Olivia
 * Smith"), approvals by user name. `identities` maps PagerDuty user ids to approver identities and
 * wins; an unmapped user acknowledges as their PagerDuty e-mail unless `emailAsIdentity` is false.
 */
export const pagerdutyOnCallSchema = z.strictObject({
  type: z.literal('pagerduty'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
  /** PagerDuty user id (e.g. `PXPGF42`) → the identity whose `onCallAck` counts. */
  identities: z
    .record(z.string().regex(/^[A-Z0-9]{1,32}$/, 'a PagerDuty user id such as PXPGF42'), person)
    .optional(),
  /** Default true: an unmapped user's PagerDuty e-mail is their identity. */
  emailAsIdentity: z.boolean().optional(),
});
export const pagerdutyIncidentsSchema = z.strictObject({
  type: z.literal('pagerduty'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
export const githubTrackerSchema = z.strictObject({
  type: z.literal('github'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
export const httpDocsSchema = z.strictObject({
  type: z.literal('http'),
  url: httpUrl,
  /** `checkLink` only ever requests URLs under one of these (SSRF protection). */
  allowedPrefixes: z.array(httpUrl).min(1),
  timeoutMs,
});
export const vaultSecretsSchema = z.strictObject({
  type: z.literal('vault'),
  url: httpUrl,
  timeoutMs,
  tokenEnv,
});
export const httpBackupsSchema = z.strictObject({ type: z.literal('http'), url: httpUrl, timeoutMs });
export const httpIntegritySchema = z.strictObject({ type: z.literal('http'), url: httpUrl, timeoutMs });

/** A map of integration name → adapter config, the adapter picked by `type`. */
function namedAdapters<
  const T extends readonly [z.ZodObject<{ type: z.ZodLiteral<string> }>, ...z.ZodObject[]],
>(...members: T) {
  return z.record(integrationName, z.discriminatedUnion('type', members)).optional();
}

export const integrationsConfigSchema = z.strictObject({
  metrics: namedAdapters(prometheusMetricsSchema),
  traffic: namedAdapters(webhookTrafficSchema, haproxyTrafficSchema),
  deployer: namedAdapters(webhookDeployerSchema, commandDeployerSchema),
  health: namedAdapters(httpHealthSchema),
  config: namedAdapters(httpConfigSourceSchema, filesConfigSourceSchema),
  notifier: namedAdapters(slackNotifierSchema),
  ci: namedAdapters(githubCiSchema),
  oncall: namedAdapters(pagerdutyOnCallSchema),
  incidents: namedAdapters(pagerdutyIncidentsSchema),
  tracker: namedAdapters(githubTrackerSchema),
  docs: namedAdapters(httpDocsSchema),
  secrets: namedAdapters(vaultSecretsSchema),
  backups: namedAdapters(httpBackupsSchema),
  integrity: namedAdapters(httpIntegritySchema),
});

export type IntegrationsConfig = z.infer<typeof integrationsConfigSchema>;
/** The configuration of one adapter of a kind, e.g. `AdapterConfig<'metrics'>`. */
export type AdapterConfig<K extends keyof IntegrationsConfig> = NonNullable<IntegrationsConfig[K]>[string];

export type PrometheusMetricsConfig = z.infer<typeof prometheusMetricsSchema>;
export type WebhookTrafficConfig = z.infer<typeof webhookTrafficSchema>;
export type WebhookDeployerConfig = z.infer<typeof webhookDeployerSchema>;
export type HttpHealthConfig = z.infer<typeof httpHealthSchema>;
export type HttpConfigSourceConfig = z.infer<typeof httpConfigSourceSchema>;
export type SlackNotifierConfig = z.infer<typeof slackNotifierSchema>;
export type GithubCiConfig = z.infer<typeof githubCiSchema>;
export type PagerdutyOnCallConfig = z.infer<typeof pagerdutyOnCallSchema>;
export type PagerdutyIncidentsConfig = z.infer<typeof pagerdutyIncidentsSchema>;
export type GithubTrackerConfig = z.infer<typeof githubTrackerSchema>;
export type HttpDocsConfig = z.infer<typeof httpDocsSchema>;
export type VaultSecretsConfig = z.infer<typeof vaultSecretsSchema>;
export type HttpBackupsConfig = z.infer<typeof httpBackupsSchema>;
export type HttpIntegrityConfig = z.infer<typeof httpIntegritySchema>;
/** Input shape (defaults optional): the factory applies them too, so hand-built configs work. */
export type HaproxyTrafficConfig = z.input<typeof haproxyTrafficSchema>;
export type CommandDeployerConfig = z.infer<typeof commandDeployerSchema>;
export type FilesConfigSourceConfig = z.infer<typeof filesConfigSourceSchema>;

/** One line per problem, `path.to.field: message`, so an operator can fix every field in one go. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const where = issue.path.map(String).join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${where === '(root)' ? key : `${where}.${key}`}: unknown field`);
    }
    if (issue.code === 'invalid_key') {
      return [`${where}: invalid name (${issue.issues.map((inner) => inner.message).join('; ')})`];
    }
    return [`${where}: ${issue.message}`];
  });
}

/** Validates a parsed configuration object; throws an Error listing every bad field path. */
export function loadIntegrationsConfig(source: unknown): IntegrationsConfig {
  const result = integrationsConfigSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = describeIssues(result.error.issues);
  throw new Error(`invalid integrations configuration:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
}

/** Reads a JSON (`.json`) or YAML (anything else) file and validates it. */
export async function loadIntegrationsConfigFile(path: string): Promise<IntegrationsConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read integrations configuration ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    // JSON is a subset of YAML, but JSON.parse gives clearer errors for .json files.
    parsed = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(
      `integrations configuration ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  try {
    return loadIntegrationsConfig(parsed ?? {});
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
