/** Phase 5 completion: every task's items passed, every verification passed, production stable. */
import type { ConfigSnapshot } from '../activities/config-snapshot.js';
import { allPassed } from '../domain/checklist.js';
import { durationMs } from '../domain/durations.js';
import { CATALOG } from '../domain/checklist-catalog.js';
import type { LaunchPlan } from '../domain/plan.js';
import { checks, probes } from './activity-options.js';
import { runAnalysis, type AnalysisTarget } from './analysis-loop.js';
import type { LaunchBook } from './launch-book.js';

/**
 * Production is stable when the thresholds pass over one more interval at full traffic, judged by
 * the plan's own policy: a breaching or missing value is a blip the monitoring window would also
 * have let pass, so the analysis follows it up slot by slot until everything passes (stable) or
 * the run reaches the plan's abort limits or its follow-up bound (not stable).
 */
async function confirmThresholds(plan: LaunchPlan, target: AnalysisTarget) {
  const intervalMs = durationMs(plan.analysis.interval);
  const run = await runAnalysis({ plan, target, windowMs: intervalMs, intervalMs });
  return { results: run.lastResults, evaluations: run.slots.length, slots: run.slots };
}

export async function completePhase5(
  plan: LaunchPlan,
  book: LaunchBook,
  locked: ConfigSnapshot,
): Promise<{ ok: boolean; reason: string }> {
  const set = (id: string, ok: boolean, evidence: Record<string, unknown>, reason: string) => {
    book.checklist[id] = {
      id,
      status: ok ? 'passed' : 'failed',
      evidence,
      verifiedAt: new Date().toISOString(),
      verifiedBy: 'launch-control',
      ...(ok ? {} : { reason }),
    };
    return ok;
  };
  const taskItems = CATALOG.filter((i) => i.task !== 'completion').map((i) => i.id);
  const notPassed = taskItems.filter((id) => book.checklist[id]?.status !== 'passed');
  const tasksOk = set(
    'completion.all-tasks',
    notPassed.length === 0,
    { items: taskItems.length, notPassed },
    `not passed: ${notPassed.join(', ')}`,
  );
  const verificationItems = CATALOG.filter((i) => i.section === 'verification').map((i) => i.id);
  const verificationsOk = set(
    'completion.all-verifications',
    allPassed(book.checklist, verificationItems),
    { items: verificationItems },
    'a verification item did not pass',
  );

  const target = { service: plan.service, environment: plan.environments.production, version: plan.version };
  const { results, evaluations, slots } = await confirmThresholds(plan, target);
  const [health] = await probes.probeHealth({
    integration: plan.integrations.health,
    ...target,
    slot: 'stable',
    count: 1,
    spacingMs: 0,
  });
  const now = await checks.snapshotConfig({
    integration: plan.integrations.config,
    service: plan.service,
    environment: target.environment,
    debugRules: [],
  });
  const drift = (['env', 'flags', 'lockfile'] as const).filter(
    (kind) => now[kind].sha256 !== locked[kind].sha256,
  );
  const breaches = results.filter((r) => r.verdict !== 'pass');
  const stableOk = set(
    'completion.production-stable',
    breaches.length === 0 && !!health?.ok && drift.length === 0,
    { results, evaluations, slots, health, configDrift: drift },
    [
      breaches.length ? `thresholds: ${breaches.map((b) => `${b.name} ${b.verdict}`).join(', ')}` : '',
      health?.ok ? '' : 'health probe failed',
      drift.length ? `config drift: ${drift.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  );
  const ok = tasksOk && verificationsOk && stableOk;
  return {
    ok,
    reason: ok
      ? ''
      : Object.values(book.checklist)
          .filter((i) => i.status === 'failed')
          .map((i) => `${i.id}: ${i.reason}`)
          .join('; '),
  };
}
