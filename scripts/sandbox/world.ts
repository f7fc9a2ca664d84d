/**
 * The sandbox: a simulated outside world. One in-process HTTP server (127.0.0.1, ephemeral port)
 * answering every API the HTTP adapters speak (Prometheus, Flagger-style router, CD webhook,
 * GitHub, PagerDuty, Vault, Slack…), with state tests can set up, inspect and break. `npm start`
 * uses it when no integrations are configured; it is a simulation, labelled as such wherever it
 * is used, never a stand-in for a real system in production.
 *
 *   const world = await startWorld();
 *   const registry = createIntegrationRegistry(world.integrationsConfig());
 *   world.badVersions.add('3.0.0'); world.failNext('/traffic/', 2);
 *   …
 *   await world.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IntegrationsConfig } from '../../integrations/config.js';
import type { ConfigKind } from '../../integrations/types.js';
import { slotKey, targetKey, type MetricProfile } from './world-metrics.js';
import { TimedMap, TimedSet } from './timed-state.js';
import { routeWorldRequest, type Reply } from './world-routes.js';

export { BAD_PROFILE, CAPACITY_HEADROOM_RATIO, GOOD_PROFILE, slotKey, targetKey } from './world-metrics.js';

export type WorldOptions = {
  /** When set, every request must carry `Authorization: Bearer <requireToken>` or gets 401. */
  requireToken?: string;
};

export type RecordedRequest = {
  method: string;
  /** Path as received (still percent-encoded), without the query string. */
  path: string;
  /** Query string without `?` ('' when none). */
  query: string;
  authorization: string | undefined;
  body: string;
};

export type ReceivedNotification = { channel: string; text: string; blocks: unknown };
export type FiledIssue = {
  number: number;
  owner: string;
  repo: string;
  title: string;
  body: string;
  assignees: string[];
  labels: string[];
  state: 'open' | 'closed';
};
export type WorldIncident = {
  id: string;
  service: string;
  title: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
};
export type WorldDeployment = {
  deploymentId: string;
  service: string;
  environment: string;
  slot: string;
  version: string;
};
export type BackupState = {
  lastBackupAt: string | null;
  lastRestoreTestAt: string | null;
  lastRestoreTestPassed: boolean | null;
};
export type IntegrityState = { acknowledgedWrites: number; verifiedWrites: number; missing: number };
export type CiRunState = { status: string; conclusion: string | null };
/** A number, or a failure mode; `non-scalar` answers two series. */
export type MetricOverride = number | 'nan' | 'empty' | 'error' | 'non-scalar';
/** A PagerDuty user as `/oncalls?include[]=users` answers it; `summary` is the display name, as in PagerDuty. */
export type WorldOnCallUser = { id: string; name: string; email: string };

export const NOTIFIER_CHANNELS = ['launch-announce', 'sre-oncall'];
/** People of the test plans who have a private channel (approval codes reach them there). */
export const PRIVATE_CHANNEL_PEOPLE = ['alice', 'bob', 'mia', 'rev', 'oncall-olivia', 'cab-carol', 'sre-sam'];
export const privateChannelOf = (person: string) => `dm-${person}`;

export const DEFAULT_LOCKFILE = `${JSON.stringify(
  {
    name: 'checkout-service',
    version: '1.4.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'checkout-service', version: '1.4.0', dependencies: { yaml: '2.9.1', zod: '4.6.7' } },
      'node_modules/yaml': {
        version: '2.9.1',
        resolved: 'https://registry.npmjs.org/yaml/-/yaml-2.9.1.tgz',
        integrity:
          'sha512-3NxN8+78OdzbT7C/WjGsyfPAtJaN3FNDsWxv7Y7mcDsT/oOmgW8BpyQQFFBnvZE3j9Y2Sdz1ULFLezL7Eb2yFw==',
        license: 'ISC',
      },
      'node_modules/zod': {
        version: '4.6.7',
        resolved: 'https://registry.npmjs.org/zod/-/zod-4.6.7.tgz',
        integrity:
          'sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==',
        license: 'MIT',
      },
    },
  },
  null,
  2,
)}\n`;

const HOUR_MS = 3_600_000;

/** A request matching `pathPrefix` (and `when`, if given) takes one of the rule's `remaining` uses. */
type Rule = { pathPrefix: string; remaining: number; when?: (request: RecordedRequest) => boolean };

export class World {
  private baseUrl = '';
  // Traffic and deployments.
  // Timed: the simulated Prometheus answers `time=` queries from the world as it was then.
  readonly canaryPercents = new TimedMap<string, number>(); // targetKey → percent
  readonly versions = new TimedMap<string, string>(); // slotKey → version
  readonly deployments: WorldDeployment[] = [];
  readonly badVersions = new TimedSet<string>();
  /** Builds neither good nor bad: their own values for some metrics (the rest as a good build). */
  readonly versionProfiles = new Map<string, Partial<MetricProfile>>();
  readonly unhealthySlots = new Set<string>(); // slotKey; health answers 503
  // Everything received.
  readonly requests: RecordedRequest[] = [];
  readonly notifications: ReceivedNotification[] = [];
  readonly issues: FiledIssue[] = [];
  // Answers of the read-only systems.
  readonly configTexts: Record<ConfigKind, string> = {
    env: 'LOG_LEVEL=info\nDEBUG=false\n',
    flags: '{"new-checkout": true, "debug-panel": false}',
    lockfile: DEFAULT_LOCKFILE,
  };
  /** Who is on call in every schedule without an entry in `onCallBySchedule`; null = nobody. */
  onCallUser: WorldOnCallUser | null = { id: 'PUSER01', name: 'Olivia Smith', email: 'olivia@example.com' };
  /** Per-schedule answers, so concurrent tests can give their own schedule its own person (or nobody). */
  readonly onCallBySchedule = new Map<string, WorldOnCallUser | null>();
  readonly incidents: WorldIncident[] = [];
  /** Latest CI run for any pipeline/branch; null = no runs. */
  ciRun: CiRunState | null = { status: 'completed', conclusion: 'success' };
  readonly gateDocs = new Map<string, string>(
    ['gate-1', 'gate-2', 'gate-3', 'gate-4'].map((g) => [g, 'passed']),
  );
  secretNames: string[] = ['DATABASE_URL', 'API_KEY'];
  backup: BackupState = {
    lastBackupAt: new Date(Date.now() - HOUR_MS).toISOString(),
    lastRestoreTestAt: new Date(Date.now() - 24 * HOUR_MS).toISOString(),
    lastRestoreTestPassed: true,
  };
  integrity: IntegrityState = { acknowledgedWrites: 1000, verifiedWrites: 1000, missing: 0 };
  readonly metricOverrides = new TimedMap<string, MetricOverride>();

  private readonly failures: (Rule & { status: number })[] = [];
  private readonly delays: (Rule & { ms: number })[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;

  constructor(readonly options: WorldOptions = {}) {}

  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  get url(): string {
    return this.baseUrl;
  }

  /** A valid integrations config where every kind has an integration `name` pointing here. */
  integrationsConfig(name = 'default'): IntegrationsConfig {
    const url = this.url;
    return {
      metrics: { [name]: { type: 'prometheus', url } },
      traffic: { [name]: { type: 'webhook', url } },
      deployer: { [name]: { type: 'webhook', url, productionEnvironments: ['production'] } },
      health: { [name]: { type: 'http', url } },
      config: { [name]: { type: 'http', url } },
      notifier: {
        [name]: {
          type: 'slack-webhook',
          url: `${url}/hooks/slack`,
          channels: [...NOTIFIER_CHANNELS],
          privateChannels: Object.fromEntries(PRIVATE_CHANNEL_PEOPLE.map((p) => [p, privateChannelOf(p)])),
        },
      },
      ci: { [name]: { type: 'github', url } },
      oncall: { [name]: { type: 'pagerduty', url } },
      incidents: { [name]: { type: 'pagerduty', url } },
      tracker: { [name]: { type: 'github', url } },
      docs: { [name]: { type: 'http', url, allowedPrefixes: [`${url}/docs/`] } },
      secrets: { [name]: { type: 'vault', url } },
      backups: { [name]: { type: 'http', url } },
      integrity: { [name]: { type: 'http', url } },
    };
  }

  getCanaryPercent(service: string, environment: string): number {
    return this.canaryPercents.get(targetKey(service, environment)) ?? 0;
  }
  setCanaryPercent(service: string, environment: string, percent: number): void {
    this.canaryPercents.set(targetKey(service, environment), percent);
  }
  getVersion(service: string, environment: string, slot: string): string | undefined {
    return this.versions.get(slotKey(service, environment, slot));
  }
  setVersion(service: string, environment: string, slot: string, version: string): void {
    this.versions.set(slotKey(service, environment, slot), version);
  }

  /**
   * The next `count` requests whose path starts with `pathPrefix` answer `status`. With `when`,
   * only requests it accepts count: a test can arm a failure for a moment it cannot poll for
   * reliably (the rollback's traffic reset, say), before the launch gets there.
   */
  failNext(
    pathPrefix: string,
    count: number,
    status = 503,
    when?: (request: RecordedRequest) => boolean,
  ): void {
    this.failures.push({ pathPrefix, remaining: count, status, when });
  }
  /** The next `count` requests whose path starts with `pathPrefix` are answered `ms` later. */
  delayNext(
    pathPrefix: string,
    count: number,
    ms: number,
    when?: (request: RecordedRequest) => boolean,
  ): void {
    this.delays.push({ pathPrefix, remaining: count, ms, ...(when ? { when } : {}) });
  }
  /** Overrides queries of `metric` (of one service, or of all); null restores the model. */
  setMetric(metric: string, value: MetricOverride | null, service?: string): void {
    const key = service ? `${metric}|${service}` : metric;
    if (value === null) this.metricOverrides.delete(key);
    else this.metricOverrides.set(key, value);
  }

  openIncident(service: string, title: string, status: WorldIncident['status'] = 'triggered'): WorldIncident {
    const incident = { id: `P${String(this.incidents.length + 1).padStart(6, '0')}`, service, title, status };
    this.incidents.push(incident);
    return incident;
  }
  /** Acknowledged writes that can no longer be read back. */
  loseWrites(count: number): void {
    this.integrity = {
      ...this.integrity,
      verifiedWrites: this.integrity.verifiedWrites - count,
      missing: this.integrity.missing + count,
    };
  }

  requestsTo(pathPrefix: string, method?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.path.startsWith(pathPrefix) && (method === undefined || r.method === method),
    );
  }

  async listen(): Promise<void> {
    // A client that hangs up mid-request must not crash the test process.
    const server = createServer(
      (request, response) => void this.handle(request, response).catch(() => response.destroy()),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private route(method: string, url: URL, body: string): Reply {
    try {
      return routeWorldRequest(this, method, url, body);
    } catch (error) {
      return { status: 500, json: { error: (error as Error).message } };
    }
  }

  private takeRule<R extends Rule>(rules: R[], request: RecordedRequest): R | undefined {
    const rule = rules.find(
      (candidate) =>
        candidate.remaining > 0 &&
        request.path.startsWith(candidate.pathPrefix) &&
        (candidate.when === undefined || candidate.when(request)),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://world.invalid');
    const method = request.method ?? 'GET';
    const authorization = request.headers.authorization;
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search.slice(1),
      authorization,
      body,
    };
    this.requests.push(recorded);

    let reply: Reply;
    const delay = this.takeRule(this.delays, recorded);
    if (delay) await this.sleep(delay.ms);
    if (this.options.requireToken !== undefined && authorization !== `Bearer ${this.options.requireToken}`) {
      reply = { status: 401, json: { message: 'Bad credentials' } };
    } else {
      const failure = this.takeRule(this.failures, recorded);
      const error = failure && {
        status: 'error',
        errorType: 'unavailable',
        error: `injected failure (${failure.status})`,
      };
      reply = failure ? { status: failure.status, json: error } : this.route(method, url, body);
    }
    if (response.destroyed) return;
    const payload = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
    const contentType =
      reply.contentType ?? (reply.json !== undefined ? 'application/json' : 'text/plain; charset=utf-8');
    response.writeHead(reply.status, { 'content-type': contentType });
    response.end(payload);
  }
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const world = new World(options);
  await world.listen();
  return world;
}
