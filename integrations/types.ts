/**
 * The small interfaces Launch Control talks to the outside world through.
 *
 * Each interface knows one kind of external system. Adapters implement them over a real protocol
 * (HTTP today; HAProxy's runtime API, Prometheus, files in later adapters). They return facts and
 * never decide: whether a value is healthy is `domain/`'s and the workflows' business.
 *
 * A plan names integrations by *name*; endpoints and credentials live in server configuration
 * (`integrations/config.ts`), so no URL, command or secret ever travels through workflow history.
 */

/** Outcome of one instant metric query. Anything but `ok` is *inconclusive* for analysis. */
export type MetricSample =
  | { status: 'ok'; value: number }
  | { status: 'empty' | 'nan' | 'non-scalar' | 'error'; value: null; error: string };

/**
 * Outcome of one range query: `[timestampMs, value]` points of exactly one series (NaN where the
 * backend had NaN or ±Inf at that step), or why not.
 */
export type RangeSample =
  | { status: 'ok'; values: [timestampMs: number, value: number][] }
  | { status: 'empty' | 'nan' | 'non-scalar' | 'error'; values: null; error: string };

/** A range query window; all in epoch milliseconds (`stepMs` > 0, `endMs` ≥ `startMs`). */
export type RangeWindow = { startMs: number; endMs: number; stepMs: number };

export interface MetricsSource {
  /**
   * Runs an instant query at `atMs` (epoch ms; default now), from the backend's history when that
   * is past; never throws for a bad query or an unreachable backend (returns `error`).
   */
  query(query: string, atMs?: number): Promise<MetricSample>;
  /** Runs a range query (optional capability); never throws either. */
  queryRange?(query: string, window: RangeWindow): Promise<RangeSample>;
}

export type TrafficTarget = { service: string; environment: string };

export interface TrafficRouter {
  /** Sends `percent` (0–100) of the target's traffic to the canary; the rest to stable. Idempotent. */
  setCanaryPercent(target: TrafficTarget, percent: number): Promise<void>;
  /** Reads back the share the router really applies, in percent. */
  readCanaryPercent(target: TrafficTarget): Promise<number>;
}

export type DeployTarget = { service: string; environment: string; slot: 'canary' | 'stable' };

export interface Deployer {
  /** Deploys `version` to the slot and returns once the deploy system accepted it. Idempotent. */
  deploy(target: DeployTarget, version: string): Promise<{ deploymentId: string }>;
  /** The version the slot is running now. */
  currentVersion(target: DeployTarget): Promise<string>;
  /** Whether the environment is one this deployer runs production in (server config). */
  isProduction(environment: string): boolean;
}

export type ProbeResult = { ok: boolean; statusCode: number | null; latencyMs: number; detail: string };

export interface HealthProbe {
  probe(target: DeployTarget): Promise<ProbeResult>;
}

export type ConfigKind = 'env' | 'flags' | 'lockfile';

export interface ConfigSource {
  /** Raw content of one configuration artefact of the service (env file, flags JSON, lockfile). */
  read(service: string, environment: string, kind: ConfigKind): Promise<string>;
}

export type Notification = {
  title: string;
  text: string;
  launchId?: string;
  severity?: 'info' | 'warning' | 'critical';
};

export interface Notifier {
  /** Channel names this notifier can deliver to (from server config). */
  channels(): string[];
  /** Delivers; throws when the channel is unknown or the receiver answers non-2xx. */
  send(channel: string, message: Notification): Promise<void>;
  /** Delivers to the person alone; false when server config names no private channel for them. */
  sendPrivate(person: string, message: Notification): Promise<boolean>;
}

export type CiRun = { id: string; status: string; conclusion: string | null; url: string; headSha: string };

export interface CiStatus {
  /** Latest run of the pipeline (GitHub Actions shaped: `repos/{owner}/{repo}/actions/runs`). */
  latestRun(pipeline: string, branch: string): Promise<CiRun | null>;
}

export type OnCallShift = {
  /**
   * The approver identity whose `onCallAck` counts (server mapping, else the e-mail); null when
   * the integration could not map this user to one.
   */
  person: string | null;
  /** Where `person` came from. */
  identitySource: 'mapping' | 'email' | null;
  /** How the on-call system names the user ("Olivia Smith"): for people, never for checks. */
  displayName: string;
  /** The on-call system's user id, the key of a mapping. */
  userId: string;
  schedule: string;
  start: string;
  end: string;
};

export interface OnCall {
  /** Who is on call now for the schedule (PagerDuty shaped: `/oncalls`). */
  current(schedule: string): Promise<OnCallShift | null>;
}

export type Incident = { id: string; title: string; status: string; url: string };

export interface Incidents {
  /** Incidents not yet resolved for the service (triggered or acknowledged). */
  unresolved(service: string): Promise<Incident[]>;
}

export type ActionItemInput = { launchId: string; title: string; owner: string; due?: string };
export type TrackedItem = { id: string; url: string; assignee: string; title: string };

export interface Tracker {
  /** Files the item (GitHub issues shaped); filing the same launch+title twice returns the first. */
  file(project: string, item: ActionItemInput): Promise<TrackedItem>;
}

export type GateDocStatus = { gate: string; status: string; url: string };

export interface Docs {
  /** Status of a gate's documentation for the service (e.g. gate-1 … gate-4). */
  gateStatus(service: string, gate: string): Promise<GateDocStatus | null>;
  /** Whether a link is under one of the configured documentation prefixes and answers 2xx. */
  checkLink(
    url: string,
  ): Promise<{ allowed: boolean; reachable: boolean; statusCode: number | null; detail: string }>;
}

export interface Secrets {
  /** Names (never values) of the secrets present for the service in the environment. */
  names(service: string, environment: string): Promise<string[]>;
}

export type BackupStatus = {
  lastBackupAt: string | null;
  lastRestoreTestAt: string | null;
  lastRestoreTestPassed: boolean | null;
};

export interface Backups {
  status(service: string, environment: string): Promise<BackupStatus>;
}

export type IntegrityReport = { acknowledgedWrites: number; verifiedWrites: number; missing: number };

export interface DataIntegrity {
  /** Counts acknowledged writes and how many of them can still be read back. */
  probe(service: string, environment: string): Promise<IntegrityReport>;
}

/** Every kind of integration, keyed the way plans and server config name them. */
export interface IntegrationKinds {
  metrics: MetricsSource;
  traffic: TrafficRouter;
  deployer: Deployer;
  health: HealthProbe;
  config: ConfigSource;
  notifier: Notifier;
  ci: CiStatus;
  oncall: OnCall;
  incidents: Incidents;
  tracker: Tracker;
  docs: Docs;
  secrets: Secrets;
  backups: Backups;
  integrity: DataIntegrity;
}

export type IntegrationKind = keyof IntegrationKinds;

export const INTEGRATION_KINDS = [
  'metrics',
  'traffic',
  'deployer',
  'health',
  'config',
  'notifier',
  'ci',
  'oncall',
  'incidents',
  'tracker',
  'docs',
  'secrets',
  'backups',
  'integrity',
] as const satisfies readonly IntegrationKind[];

/** Resolves a plan's integration name to a configured adapter; throws `UnknownIntegrationError`. */
export interface IntegrationRegistry {
  get<K extends IntegrationKind>(kind: K, name: string): IntegrationKinds[K];
}

export class UnknownIntegrationError extends Error {
  constructor(
    readonly kind: string,
    readonly integrationName: string,
  ) {
    super(`no ${kind} integration named "${integrationName}" is configured on this server`);
    this.name = 'UnknownIntegrationError';
  }
}
