/**
 * The process environment Launch Control reads, as one zod schema: the single source of the
 * README's configuration reference (`renderConfigReference()`), of the variables docker-compose.yml
 * may set, and of their defaults. It mirrors what the code does (`temporalSettingsFromEnv`,
 * `worker/main.ts`, `api/main.ts`, `scripts/start.ts`); `test/unit/compose.test.ts` checks that it
 * does, and that every variable those files read is a key here.
 *
 * Each description ends with `Read by: <services>.`: `worker` (`worker/main.ts`), `api`
 * (`api/main.ts`), `start` (`npm start`, everything in one process).
 */
import { z } from 'zod';
import { durationMs } from '../domain/durations.js';
import { parsePayloadKeys } from './payload-codec.js';
import { parseIdentityKey } from './identity-proof.js';
import { DEFAULT_TASK_QUEUE } from './temporal-connection.js';

export const SERVICES = ['worker', 'api', 'start'] as const;
export type Service = (typeof SERVICES)[number];

const READ_BY = /\s*Read by: ([a-z, ]+)\.$/;

function describe(text: string, services: readonly Service[]): string {
  return `${text} Read by: ${services.join(', ')}.`;
}

/** The code reads these with `||` or a truthiness check: an empty value means "not set". */
function emptyIsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

/** The code trims these first: blank means "not set". */
function blankIsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema,
  );
}

/** What `parseRateLimit` (api/rate-limit.ts) accepts. */
function isRateLimit(text: string): boolean {
  const trimmed = text.trim();
  if (/^(off|false|0|none)$/i.test(trimmed)) return true;
  const match = /^(\d{1,9})\s*\/\s*(\S+)$/.exec(trimmed);
  return Number(match?.[1]) >= 1 && durationMs(match?.[2] ?? '') > 0;
}

const hostPort = z.string().regex(/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/, 'must be host:port');
const filePath = z.string().min(1);
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' });

export const configSchema = z
  .object({
    TEMPORAL_ADDRESS: emptyIsUnset(hostPort.default('127.0.0.1:7233')).describe(
      describe(
        'Temporal frontend `host:port` (Temporal Cloud: `<namespace>.<account>.tmprl.cloud:7233`). `npm start` starts an embedded dev server only when this is unset.',
        ['worker', 'api', 'start'],
      ),
    ),
    TEMPORAL_NAMESPACE: emptyIsUnset(z.string().min(1).default('default')).describe(
      describe('Temporal namespace.', ['worker', 'api', 'start']),
    ),
    TEMPORAL_API_KEY: emptyIsUnset(z.string().optional()).describe(
      describe('API key for Temporal Cloud; turns TLS on.', ['worker', 'api', 'start']),
    ),
    TEMPORAL_TLS: emptyIsUnset(
      z
        .enum(['true', 'false'])
        .transform((value) => value === 'true')
        .optional(),
    ).describe(
      describe(
        '`true`: TLS without a client certificate. Unset: TLS is on when `TEMPORAL_API_KEY` or a client certificate is given, off otherwise.',
        ['worker', 'api', 'start'],
      ),
    ),
    TEMPORAL_TLS_CERT: emptyIsUnset(filePath.optional()).describe(
      describe('Client certificate file (PEM) for mTLS; needs `TEMPORAL_TLS_KEY`.', [
        'worker',
        'api',
        'start',
      ]),
    ),
    TEMPORAL_TLS_KEY: emptyIsUnset(filePath.optional()).describe(
      describe('Client private key file (PEM) for mTLS; needs `TEMPORAL_TLS_CERT`.', [
        'worker',
        'api',
        'start',
      ]),
    ),
    TEMPORAL_TLS_CA: emptyIsUnset(filePath.optional()).describe(
      describe(
        'CA certificate file (PEM) of the server, for a private CA; used only together with a client certificate.',
        ['worker', 'api', 'start'],
      ),
    ),
    TEMPORAL_UI_URL: emptyIsUnset(
      httpUrl.refine((url) => !url.endsWith('/'), 'without a trailing slash').optional(),
    ).describe(
      describe(
        'Temporal UI base URL as people reach it (Temporal Cloud: `https://cloud.temporal.io`), for links `<url>/namespaces/<namespace>/workflows/<launch id>` in notifications and API answers. `npm start` uses its dev server UI when this is unset.',
        ['worker', 'api', 'start'],
      ),
    ),
    LAUNCH_CONTROL_TASK_QUEUE: emptyIsUnset(z.string().min(1).default(DEFAULT_TASK_QUEUE)).describe(
      describe('Task queue the worker polls and the API starts launches on.', ['worker', 'api', 'start']),
    ),
    LAUNCH_CONTROL_INTEGRATIONS: emptyIsUnset(filePath.optional()).describe(
      describe(
        'Integrations file (JSON or YAML; schema in `integrations/config.ts`). Required by the worker; the API uses it to refuse plans naming unknown integrations; `npm start` starts the demo stack when it is unset.',
        ['worker', 'api', 'start'],
      ),
    ),
    LAUNCH_CONTROL_WORKER_METRICS_ADDRESS: emptyIsUnset(hostPort.optional()).describe(
      describe(
        'Listen address of the worker Prometheus endpoint (`/metrics`). Unset: no endpoint for the worker, `127.0.0.1:9464` for `npm start`.',
        ['worker', 'start'],
      ),
    ),
    LAUNCH_CONTROL_TOKENS_FILE: blankIsUnset(filePath.optional()).describe(
      describe(
        'API bearer tokens, a JSON or YAML list `[{subject, role or roles, tokenSha256}]` (roles `operator`, `approver`, `viewer`; example: `deploy/tokens.example.yaml`).',
        ['api'],
      ),
    ),
    LAUNCH_CONTROL_TOKENS: blankIsUnset(z.string().optional()).describe(
      describe(
        'API bearer tokens as a JSON list, same entries as the tokens file; both may be set and add up.',
        ['api'],
      ),
    ),
    LAUNCH_CONTROL_RATE_LIMIT: blankIsUnset(
      z
        .string()
        .refine(isRateLimit, 'expected <requests>/<window> such as 60/1m or 10/30s, or "off"')
        .default('60/1m'),
    ).describe(
      describe(
        'Per-caller limit on the mutating API routes: `<requests>/<window>` such as `10/30s`, or `off`.',
        ['api'],
      ),
    ),
    LAUNCH_CONTROL_PAYLOAD_KEYS: blankIsUnset(
      z
        .string()
        .refine((value) => {
          try {
            return parsePayloadKeys(value).length > 0;
          } catch {
            return false;
          }
        }, 'expected <key id>:<base64 of 32 bytes>[,<key id>:<base64>…]')
        .optional(),
    ).describe(
      describe(
        'Encrypts workflow payloads with AES-256-GCM: `<key id>:<base64 of 32 bytes>` (`openssl rand -base64 32`), comma-separated; the first encrypts, all decrypt (rotation). Worker and API need the same keys; the API then serves the codec endpoint `/codec` for the Temporal UI.',
        ['worker', 'api', 'start'],
      ),
    ),
    LAUNCH_CONTROL_IDENTITY_KEY: blankIsUnset(
      z
        .string()
        .refine((value) => {
          try {
            return parseIdentityKey(value).length >= 32;
          } catch {
            return false;
          }
        }, 'expected the base64 of at least 32 random bytes (openssl rand -base64 32)')
        .optional(),
    ).describe(
      describe(
        'Key the API and the worker share to prove identities to workflows: the API MACs the caller it authenticated (audited `verified`), the worker checks it and hashes one-time approval codes (plans with `approvals.codes`). Same value on both; unset: API approvals are audited `claimed` and approval codes cannot be minted.',
        ['worker', 'api', 'start'],
      ),
    ),
    LAUNCH_CONTROL_CODEC_CORS_ORIGINS: blankIsUnset(z.string().optional()).describe(
      describe(
        'Browser origins allowed to call the codec endpoint, comma-separated (the Temporal UI’s, e.g. `https://temporal.example.com`). Unset: the origin of `TEMPORAL_UI_URL`.',
        ['api', 'start'],
      ),
    ),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: emptyIsUnset(httpUrl.optional()).describe(
      describe(
        'OpenTelemetry traces over OTLP/HTTP to this URL (e.g. `http://collector:4318/v1/traces`): client, workflow and activity spans through the Temporal interceptors. Unset and no `OTEL_EXPORTER_OTLP_ENDPOINT`: tracing off.',
        ['worker', 'api', 'start'],
      ),
    ),
    OTEL_EXPORTER_OTLP_ENDPOINT: emptyIsUnset(httpUrl.optional()).describe(
      describe(
        'OTLP/HTTP base URL (`/v1/traces` is appended), used when the traces endpoint is unset. `OTEL_EXPORTER_OTLP_HEADERS` (e.g. an API key) is read by the exporter itself.',
        ['worker', 'api', 'start'],
      ),
    ),
    OTEL_SERVICE_NAME: emptyIsUnset(z.string().optional()).describe(
      describe(
        'Service name on the spans. Unset: `launch-control-worker`, `launch-control-api`, or `launch-control` for `npm start`.',
        ['worker', 'api', 'start'],
      ),
    ),
    HOST: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(describe('Address the API listens on (`0.0.0.0` in a container).', ['api', 'start'])),
    PORT: z
      .string()
      .regex(/^\d{1,5}$/, 'must be a port number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(65535))
      .default(8080)
      .describe(describe('Port the API listens on.', ['api', 'start'])),
    NODE_ENV: z
      .string()
      .optional()
      .describe(
        describe(
          '`production`: the API refuses to start without bearer tokens. Otherwise, without tokens, it accepts every request (dev mode, announced in every answer).',
          ['api', 'start'],
        ),
      ),
    TEMPORAL_CLI_PATH: emptyIsUnset(filePath.optional()).describe(
      describe(
        'Temporal CLI executable for the embedded dev server (also used by `npm test`). Unset: `temporal` on PATH, else a cached or fresh build in `.temporal/bin`.',
        ['start'],
      ),
    ),
  })
  .superRefine((env, ctx) => {
    if (!!env.TEMPORAL_TLS_CERT !== !!env.TEMPORAL_TLS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'],
        message:
          'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (a client certificate is ignored without both)',
      });
    }
    if (env.TEMPORAL_TLS_CA && !(env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS_CA'],
        message: 'TEMPORAL_TLS_CA is only used with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
      });
    }
    if (env.TEMPORAL_TLS === false && (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CERT)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS'],
        message: 'TLS is always on with TEMPORAL_API_KEY or a client certificate',
      });
    }
  });

export type LaunchControlConfig = z.output<typeof configSchema>;
export type ConfigKey = keyof typeof configSchema.shape;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** The description text without its `Read by:` suffix. */
export function meaningOf(key: ConfigKey): string {
  return (configSchema.shape[key].description ?? '').replace(READ_BY, '');
}

/** The services that read a variable, from its description. */
export function servicesReading(key: ConfigKey): Service[] {
  const match = READ_BY.exec(configSchema.shape[key].description ?? '');
  return (match?.[1] ?? '')
    .split(', ')
    .filter((s): s is Service => (SERVICES as readonly string[]).includes(s));
}

/** Defaults are what an empty environment parses to. */
export function defaultsOf(): Partial<Record<ConfigKey, unknown>> {
  return configSchema.parse({});
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
}

/**
 * The README's configuration reference: a Markdown table, one row per variable, in schema order,
 * already laid out the way prettier lays out Markdown tables.
 */
export function renderConfigReference(): string {
  const defaults = defaultsOf();
  const header = ['variable', 'read by', 'default', 'meaning'];
  const rows = CONFIG_KEYS.map((key) => {
    const value = defaults[key];
    return [
      `\`${key}\``,
      servicesReading(key).join(', '),
      value === undefined ? '' : `\`${String(value)}\``,
      meaningOf(key),
    ];
  });
  const widths = header.map((_, i) => Math.max(3, ...[header, ...rows].map((row) => (row[i] ?? '').length)));
  return [
    pad(header, widths),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map((row) => pad(row, widths)),
  ].join('\n');
}
