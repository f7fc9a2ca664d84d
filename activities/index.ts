/**
 * Activities: thin, idempotent functions over the named integrations. They do I/O and return
 * facts; every decision (is this healthy? abort?) is made in workflows with `domain/`.
 *
 * Workflows import only the *type* of `createActivities` (through `proxyActivities`), so nothing
 * here is bundled into the workflow sandbox.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Sample } from '../domain/analysis.js';
import type { SeriesSample, SlotQuery, SlotSamples } from '../domain/slot-analysis.js';
import type {
  ActionItemInput,
  IntegrationRegistry,
  Notification,
  ProbeResult,
  RangeSample,
} from '../integrations/types.js';
import { submitConfigChange } from '../api/freeze-gate.js';
import { readServiceLock } from '../api/service-lock.js';
import type { AuditEntry } from '../domain/launch-state.js';
import { auditQuery } from '../workflows/messages.js';
import { createApprovalActivities } from './approvals.js';
import { snapshotConfigArtefacts, type ConfigSnapshot, type DebugRule } from './config-snapshot.js';

export type ActivityDeps = {
  integrations: IntegrationRegistry;
  /** Used by the freeze-gate probe, which goes through the same gate CI/CD uses. */
  temporal?: Client;
  /** Temporal Web UI base (e.g. http://127.0.0.1:8233): messages link to the launch's page. */
  temporalUiUrl?: string;
  namespace?: string;
  /** Proves identities to workflows (worker/identity-proof.ts); null: every sender is a claim. */
  identityKey?: Buffer | null;
};

type Named = { integration: string };

const MEASURE_CONCURRENCY = 8;

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

function seriesOf(sample: RangeSample): SeriesSample {
  return sample.status === 'ok' ? { status: 'ok', values: sample.values.map(([, value]) => value) } : sample;
}
type ServiceEnv = { service: string; environment: string };

export function createActivities({
  integrations,
  temporal,
  temporalUiUrl,
  namespace = 'default',
  identityKey = null,
}: ActivityDeps) {
  const launchLink = (launchId: string) =>
    `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(launchId)}`;
  return {
    ...createApprovalActivities({ integrations, ...(temporal ? { temporal } : {}), identityKey }),

    /** Runs instant queries; one sample per name, inconclusive samples included, never thrown. */
    async runMetricQueries(
      input: Named & { queries: { name: string; query: string }[] },
    ): Promise<Record<string, Sample>> {
      const metrics = integrations.get('metrics', input.integration);
      const entries = await Promise.all(
        input.queries.map(async (q) => [q.name, await metrics.query(q.query)] as const),
      );
      return Object.fromEntries(entries);
    },

    /**
     * Measures analysis slots from the backend's history: each query at each slot's time (instant),
     * or over the interval before it (range, for the canary judge). Late evaluations call this for
     * every slot they missed, at once. Never throws for a failing query (its sample says why).
     */
    async measureSlots(
      input: Named & { queries: SlotQuery[]; slots: { atMs: number }[] },
    ): Promise<SlotSamples[]> {
      const metrics = integrations.get('metrics', input.integration);
      const measureOne = async (q: SlotQuery, slot: { atMs: number }) => {
        if (!q.range) return metrics.query(q.query, slot.atMs);
        return seriesOf(
          metrics.queryRange
            ? await metrics.queryRange(q.query, {
                startMs: slot.atMs - q.range.lengthMs,
                endMs: slot.atMs,
                stepMs: q.range.stepMs,
              })
            : {
                status: 'error',
                values: null,
                error: `metrics integration "${input.integration}" has no range queries`,
              },
        );
      };
      const jobs = input.slots.flatMap((slot, index) => input.queries.map((q) => ({ slot, index, q })));
      const results = input.slots.map((): SlotSamples => ({}));
      // A few queries in flight: a catch-up of many slots must not flood the backend.
      await inBatches(jobs, MEASURE_CONCURRENCY, async ({ slot, index, q }) => {
        results[index]![q.key] = await measureOne(q, slot);
      });
      return results;
    },

    async checkGateDocs(input: Named & { service: string; gates: string[] }) {
      const docs = integrations.get('docs', input.integration);
      return Promise.all(
        input.gates.map(
          async (gate) =>
            (await docs.gateStatus(input.service, gate)) ?? { gate, status: 'missing', url: '' },
        ),
      );
    },

    async latestCiRun(input: Named & { pipeline: string; branch: string }) {
      return integrations.get('ci', input.integration).latestRun(input.pipeline, input.branch);
    },

    async listSecretNames(input: Named & ServiceEnv): Promise<string[]> {
      return integrations.get('secrets', input.integration).names(input.service, input.environment);
    },

    async backupStatus(input: Named & ServiceEnv) {
      return integrations.get('backups', input.integration).status(input.service, input.environment);
    },

    /** Sends to every channel; a failing channel fails the activity so it is retried. */
    async notify(
      input: Named & { channels: string[]; message: Notification },
    ): Promise<{ delivered: string[] }> {
      const notifier = integrations.get('notifier', input.integration);
      const message =
        temporalUiUrl && input.message.launchId
          ? { ...input.message, text: `${input.message.text}\nLaunch: ${launchLink(input.message.launchId)}` }
          : input.message;
      for (const channel of input.channels) await notifier.send(channel, message);
      return { delivered: input.channels };
    },

    /** Which of the channels the notifier knows (communication protocol check). */
    async notifierChannels(input: Named): Promise<string[]> {
      return integrations.get('notifier', input.integration).channels();
    },

    async snapshotConfig(input: Named & ServiceEnv & { debugRules: DebugRule[] }): Promise<ConfigSnapshot> {
      const source = integrations.get('config', input.integration);
      const [env, flags, lockfile] = await Promise.all([
        source.read(input.service, input.environment, 'env'),
        source.read(input.service, input.environment, 'flags'),
        source.read(input.service, input.environment, 'lockfile'),
      ]);
      return snapshotConfigArtefacts({ env, flags, lockfile }, input.debugRules);
    },

    /** Deploys and reads the version back; a read-back mismatch is retried, then fails. */
    async deploy(
      input: Named & ServiceEnv & { slot: 'canary' | 'stable'; version: string; purpose?: 'drill' },
    ) {
      const deployer = integrations.get('deployer', input.integration);
      // The drill deploys a known-bad build: never where this deployer runs production.
      if (input.purpose === 'drill' && deployer.isProduction(input.environment))
        throw ApplicationFailure.nonRetryable(
          `the rollback drill may not deploy to ${input.environment}: integration "${input.integration}" runs production there`,
          'DrillTargetsProduction',
        );
      const target = { service: input.service, environment: input.environment, slot: input.slot };
      const { deploymentId } = await deployer.deploy(target, input.version);
      const readBack = await deployer.currentVersion(target);
      if (readBack !== input.version)
        throw ApplicationFailure.retryable(
          `deployed ${input.version} but ${input.slot} reports ${readBack}`,
          'DeployMismatch',
        );
      return { deploymentId, version: readBack };
    },

    async currentVersion(input: Named & ServiceEnv & { slot: 'canary' | 'stable' }): Promise<string> {
      return integrations.get('deployer', input.integration).currentVersion(input);
    },

    /** Sets the canary share and reads it back; the evidence records both. Idempotent. */
    async setTraffic(input: Named & ServiceEnv & { percent: number }) {
      const router = integrations.get('traffic', input.integration);
      const target = { service: input.service, environment: input.environment };
      await router.setCanaryPercent(target, input.percent);
      const readBack = await router.readCanaryPercent(target);
      if (readBack !== input.percent)
        throw ApplicationFailure.retryable(
          `set canary to ${input.percent}% but router reports ${readBack}%`,
          'TrafficMismatch',
        );
      return { requested: input.percent, readBack };
    },

    /**
     * `count` probes `spacingMs` apart; returns every result. It heartbeats while it waits too: the
     * spacing is the plan's analysis interval (30 s, 1 min…), longer than the heartbeat timeout.
     */
    async probeHealth(
      input: Named & ServiceEnv & { slot: 'canary' | 'stable'; count: number; spacingMs: number },
    ) {
      const health = integrations.get('health', input.integration);
      const results: ProbeResult[] = [];
      for (let i = 0; i < input.count; i++) {
        if (i > 0) await waitHeartbeating(input.spacingMs, () => heartbeat({ probes: results.length }));
        results.push(
          await health.probe({ service: input.service, environment: input.environment, slot: input.slot }),
        );
        heartbeat({ probes: results.length });
      }
      return results;
    },

    async probeIntegrity(input: Named & ServiceEnv) {
      return integrations.get('integrity', input.integration).probe(input.service, input.environment);
    },

    async currentOnCall(input: Named & { schedule: string }) {
      return integrations.get('oncall', input.integration).current(input.schedule);
    },

    async unresolvedIncidents(input: Named & { service: string }) {
      return integrations.get('incidents', input.integration).unresolved(input.service);
    },

    async checkDocLinks(input: Named & { urls: string[] }) {
      const docs = integrations.get('docs', input.integration);
      return Promise.all(input.urls.map(async (url) => ({ url, ...(await docs.checkLink(url)) })));
    },

    /** Files each action item (the tracker adapter is idempotent per launch and title). */
    async fileActionItems(input: Named & { project: string; items: ActionItemInput[] }) {
      const tracker = integrations.get('tracker', input.integration);
      const filed = [];
      for (const item of input.items) filed.push(await tracker.file(input.project, item));
      return filed;
    },

    /**
     * Sends a change request without an override through the freeze gate, exactly as a CI/CD
     * pipeline would, and returns the gate's answer. Lockdown expects a refusal.
     */
    async probeFreezeGate(input: { service: string; change: string; by: string }) {
      if (!temporal)
        throw ApplicationFailure.nonRetryable('the worker has no Temporal client for the freeze gate');
      const answer = await submitConfigChange(temporal, {
        service: input.service,
        by: input.by,
        change: input.change,
      });
      if (answer.launches.length === 0)
        throw ApplicationFailure.retryable(
          `no launch of ${input.service} is registered with the freeze gate yet`,
          'FreezeNotVisible',
        );
      return answer;
    },

    /** Who holds a service's launch lock: Temporal refused a launch's lock without saying. */
    async readServiceLock(input: ServiceEnv) {
      if (!temporal)
        throw ApplicationFailure.nonRetryable('the worker has no Temporal client to read a service lock');
      return readServiceLock(temporal, input.service, input.environment);
    },

    /** The audit log of a launch, read through its query, to verify the trail as an auditor would. */
    async readAudit(input: { workflowId: string }): Promise<AuditEntry[]> {
      if (!temporal)
        throw ApplicationFailure.nonRetryable('the worker has no Temporal client to read the audit log');
      return temporal.workflow.getHandle(input.workflowId).query(auditQuery);
    },
  };
}

export type LaunchActivities = ReturnType<typeof createActivities>;

/** How often a waiting activity heartbeats; well inside PROBE_OPTIONS' 30 s heartbeat timeout. */
export const WAIT_HEARTBEAT_MS = 5_000;

/** Waits `ms`, heartbeating every `every` ms so a long wait is not mistaken for a hang. */
export async function waitHeartbeating(
  ms: number,
  beat: () => void,
  every = WAIT_HEARTBEAT_MS,
): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, every)));
    beat();
  }
}
