/**
 * 5.3 Controlled traffic: dark launch at 0 % (health probes only: the canary gets no users yet),
 * then each stage sets the split, reads it back, runs the analysis over its observation window
 * (aborting at once on a breach run) and, where the plan asks, waits for a human metrics review.
 */
import { sleep } from '@temporalio/workflow';
import { endedClean, judgeSample, stageSlotEvidence, type AnalysisState } from '../domain/analysis.js';
import { durationMs } from '../domain/durations.js';
import { renderQuery } from '../domain/plan.js';
import { abortLaunch } from './abort.js';
import { changes, checks, probes, uninterrupted } from './activity-options.js';
import { runAnalysis } from './analysis-loop.js';
import { recordStageDuration } from './metrics.js';
import { checkTaskInput } from './plan-check.js';
import { TaskRuntime, type TaskInput } from './task-runtime.js';

const id = (key: string) => `5.3.${key}`;
const STAGE_ITEMS: Record<number, { traffic: string; review?: string }> = {
  10: { traffic: id('execution.traffic-10'), review: id('execution.metrics-reviewed-10') },
  50: { traffic: id('execution.traffic-50'), review: id('execution.metrics-reviewed-50') },
  100: { traffic: id('execution.traffic-100') },
};

export function trafficRamp(input: TaskInput) {
  const { plan, launchId } = checkTaskInput(input);
  const rt = new TaskRuntime('5.3', plan, launchId, ['metricsReview']);
  return rt.finish(async () => {
    const env = { service: plan.service, environment: plan.environments.production };
    const target = { ...env, version: plan.version };
    const intervalMs = durationMs(plan.analysis.interval);

    rt.pass(id('strategy.ramp-defined'), { stages: plan.ramp.map((s) => s.percent) });
    rt.pass(id('strategy.observation-windows'), {
      windows: plan.ramp.map((s) => ({ percent: s.percent, window: s.observationWindow, review: s.review })),
    });
    const probe = await checks.runMetricQueries({
      integration: plan.integrations.metrics,
      queries: plan.analysis.thresholds.map((t) => ({ name: t.name, query: renderQuery(t.query, target) })),
    });
    const broken = Object.entries(probe)
      .filter(([, s]) => s.status === 'error')
      .map(([n]) => n);
    if (
      !rt.verdict(
        id('strategy.abort-thresholds'),
        broken.length === 0,
        { thresholds: plan.analysis.thresholds, samples: probe },
        `queries that do not run: ${broken.join(', ')}`,
      )
    )
      abortLaunch('check-failed', `abort threshold queries do not run: ${broken.join(', ')}`);

    const opensAt = Date.parse(plan.launchWindow.start);
    const closesAt = Date.parse(plan.launchWindow.end);
    if (Date.now() < opensAt) {
      rt.show({ nextTimer: { what: 'launch window opens', at: plan.launchWindow.start } });
      await sleep(opensAt - Date.now());
    }

    // Production changes from here on (the launch reads that from this task's state or outcome).
    // Each change runs to its end even if the launch is aborted meanwhile, so the rollback that
    // follows cannot be overtaken by a late "set 50%".
    rt.touchProduction();
    const deployment = await uninterrupted(() =>
      changes.deploy({
        integration: plan.integrations.deployer,
        ...env,
        slot: 'canary',
        version: plan.version,
      }),
    );
    const stageStates: { percent: number; state: AnalysisState }[] = [];
    let previous: { percent: number; startedAt: number } | null = null;
    const stageEnded = () =>
      previous && recordStageDuration(previous.percent, (Date.now() - previous.startedAt) / 1000);
    for (const stage of plan.ramp) {
      stageEnded();
      previous = { percent: stage.percent, startedAt: Date.now() };
      if (Date.now() >= closesAt)
        abortLaunch(
          'launch-window-closed',
          `the launch window closed at ${plan.launchWindow.end} before ${stage.percent}%`,
        );
      const split = await uninterrupted(() =>
        changes.setTraffic({ integration: plan.integrations.traffic, ...env, percent: stage.percent }),
      );
      const windowMs = durationMs(stage.observationWindow);
      rt.show({
        trafficPercent: split.readBack,
        nextTimer: {
          what: `end of the ${stage.percent}% observation window`,
          at: new Date(Date.now() + windowMs).toISOString(),
        },
      });
      await rt.announce(
        `${plan.service} ${plan.version}: ${split.readBack}% of production traffic`,
        `Router reads back ${split.readBack}%; observing for ${stage.observationWindow}.`,
      );

      if (stage.percent === 0) {
        rt.pass(id('execution.dark-launch'), { deployment, split });
        const results = await probes.probeHealth({
          integration: plan.integrations.health,
          ...env,
          slot: 'canary',
          count: Math.max(1, Math.ceil(windowMs / intervalMs)),
          spacingMs: intervalMs,
        });
        const failures = results.filter((r) => !r.ok);
        if (
          !rt.verdict(
            id('execution.health-stable'),
            failures.length === 0,
            { probes: results.length, failures },
            `${failures.length} of ${results.length} health probes failed`,
          )
        )
          abortLaunch('check-failed', `canary health probes failed at dark launch: ${failures[0]?.detail}`);
        continue;
      }

      const items = STAGE_ITEMS[stage.percent];
      const analysis = await runAnalysis({
        plan,
        target,
        windowMs,
        intervalMs,
        // Canary against stable only while both take traffic.
        judgeCanary: stage.percent < 100,
        onEvaluated: (results) => rt.reportAnalysis(results),
      });
      if (analysis.outcome === 'abort' && analysis.decision.action === 'abort') {
        if (items)
          rt.fail(items.traffic, analysis.decision.detail, {
            split,
            totals: analysis.state.totals,
            ...stageSlotEvidence(analysis.slots, intervalMs),
          });
        abortLaunch(analysis.decision.cause, `at ${stage.percent}%: ${analysis.decision.detail}`);
      }
      stageStates.push({ percent: stage.percent, state: analysis.state });
      if (items)
        rt.pass(items.traffic, {
          split,
          evaluations: analysis.state.evaluations,
          totals: analysis.state.totals,
          ...stageSlotEvidence(analysis.slots, intervalMs),
        });

      if (stage.review === 'manual') {
        const review = await rt.approvals.awaitApproval('metricsReview', {
          approvers: plan.approvals.metricsReview,
          timeoutMs: durationMs(plan.approvals.timeout),
          stage: stage.percent,
        });
        if (!review) {
          if (items?.review) rt.fail(items.review, `no review within ${plan.approvals.timeout}`);
          abortLaunch(
            'approval-timeout',
            `no metrics review at ${stage.percent}% within ${plan.approvals.timeout}`,
          );
        }
        if (review.verdict !== 'proceed') {
          if (items?.review) rt.fail(items.review, `${review.by} chose abort`, { review });
          abortLaunch(
            'no-go',
            `${review.by} stopped the ramp at ${stage.percent}%${review.comment ? `: ${review.comment}` : ''}`,
            review.by,
          );
        }
        if (items?.review) rt.pass(items.review, { review, analysis: analysis.state.totals }, review.by);
      } else {
        // An automatic review: the analysis passed the stage.
        if (items?.review) rt.pass(items.review, { reviewedBy: 'analysis', totals: analysis.state.totals });
      }
    }

    stageEnded();

    // Verification at full traffic.
    const slo = await checks.runMetricQueries({
      integration: plan.integrations.metrics,
      queries: plan.successMetrics.map((m) => ({ name: m.name, query: renderQuery(m.query, target) })),
    });
    const sloResults = plan.successMetrics.map((m) => ({
      name: m.name,
      ...judgeSample(m, slo[m.name] ?? { status: 'error', value: null, error: 'missing' }),
    }));
    const violated = sloResults.filter((r) => r.verdict !== 'pass');
    rt.verdict(
      id('verification.no-slo-violations'),
      violated.length === 0,
      { results: sloResults },
      `not within bounds: ${violated.map((v) => `${v.name} (${v.reason})`).join(', ')}`,
    );
    for (const [category, itemId] of [
      ['errors', id('verification.error-rates')],
      ['latency', id('verification.latency')],
    ] as const) {
      const names = [...plan.analysis.thresholds, ...plan.analysis.burnRates]
        .filter((t) => t.category === category)
        .map((t) => t.name);
      const dirty = stageStates.filter((s) => !endedClean(s.state, names)).map((s) => s.percent);
      rt.verdict(
        itemId,
        dirty.length === 0,
        {
          thresholds: names,
          stages: stageStates.map((s) => ({
            percent: s.percent,
            totals: names.map((n) => ({ name: n, ...s.state.totals[n] })),
          })),
        },
        `ended in breach at ${dirty.join(', ')}%`,
      );
    }
    const failed = Object.values(rt.checklist).filter((i) => i.status === 'failed');
    if (failed.length > 0)
      abortLaunch(
        'check-failed',
        `traffic verification failed: ${failed.map((f) => `${f.id} (${f.reason})`).join('; ')}`,
      );
    return { finalPercent: 100 };
  });
}
