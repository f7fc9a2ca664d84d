/**
 * 5.4 Rollback drill, on staging before any production traffic: deploy the known-bad version,
 * let the analysis detect it, roll back automatically, watch recovery, and prove no write was
 * lost. Detection and recovery times go into the evidence.
 */
import { CancellationScope } from '@temporalio/workflow';
import { durationMs } from '../domain/durations.js';
import { stageSlotEvidence } from '../domain/analysis.js';
import { drillEnvironmentProblem } from '../domain/plan.js';
import { ABORT_CAUSES, rollbackSteps } from '../domain/rollback.js';
import { abortLaunch } from './abort.js';
import { changes, checks, probes, uninterrupted } from './activity-options.js';
import { runAnalysis } from './analysis-loop.js';
import { checkTaskInput } from './plan-check.js';
import { TaskRuntime, type TaskInput } from './task-runtime.js';

const id = (key: string) => `5.4.${key}`;

export function rollbackDrill(input: TaskInput) {
  const { plan, launchId } = checkTaskInput(input);
  const rt = new TaskRuntime('5.4', plan, launchId);
  return rt.finish(async () => {
    // The plan schema refuses this already; the drill checks again before it deploys anything,
    // whatever reached it, because it deploys a known-bad build.
    const productionProblem = drillEnvironmentProblem(plan.environments);
    if (productionProblem) {
      rt.fail(id('execution.bad-version-deployed'), `refused: ${productionProblem}`, {
        environments: plan.environments,
      });
      abortLaunch('check-failed', `rollback drill refused: ${productionProblem}`);
    }
    const staging = {
      integration: plan.integrations.deployer,
      service: plan.service,
      environment: plan.environments.staging,
      slot: 'stable' as const,
      // The deploy activity refuses environments the deployer's server config calls production.
      purpose: 'drill' as const,
    };
    const intervalMs = durationMs(plan.analysis.interval);

    rt.pass(id('design.triggers'), {
      thresholds: plan.analysis.thresholds,
      consecutiveBreaches: plan.analysis.consecutiveBreaches,
      consecutiveErrorLimit: plan.analysis.consecutiveErrorLimit,
      abortCauses: ABORT_CAUSES,
    });
    const steps = rollbackSteps(plan);
    await checks.notify({
      integration: plan.integrations.notifier,
      channels: plan.notifications.channels,
      message: {
        title: `Rollback steps for ${plan.service} ${plan.version}`,
        text: steps.map((s, i) => `${i + 1}. ${s}`).join('\n'),
        launchId: launchId,
      },
    });
    rt.pass(id('design.steps'), { steps, sentTo: plan.notifications.channels });
    const known = await checks.notifierChannels({ integration: plan.integrations.notifier });
    const unknown = plan.notifications.channels.filter((c) => !known.includes(c));
    rt.verdict(
      id('design.communication'),
      unknown.length === 0,
      { channels: plan.notifications.channels, configured: known },
      `channels not configured: ${unknown.join(', ')}`,
    );
    if (unknown.length > 0)
      abortLaunch('check-failed', `notification channels not configured: ${unknown.join(', ')}`);

    const integrityBefore = await checks.probeIntegrity({
      integration: plan.integrations.integrity,
      service: plan.service,
      environment: staging.environment,
    });
    let badDeployed = false;
    try {
      const deployedAt = Date.now();
      const deployed = await uninterrupted(() =>
        changes.deploy({ ...staging, version: plan.drill.badVersion }),
      ).catch((err: Error) => {
        // Refused (an environment the deployer runs production in) or failed: the item says why.
        rt.fail(
          id('execution.bad-version-deployed'),
          (err.cause as Error | undefined)?.message ?? err.message,
          {
            environment: staging.environment,
          },
        );
        throw err;
      });
      badDeployed = true;
      rt.pass(id('execution.bad-version-deployed'), { ...deployed, environment: staging.environment });

      const target = {
        service: plan.service,
        environment: staging.environment,
        version: plan.drill.badVersion,
      };
      const detection = await runAnalysis({
        plan,
        target,
        windowMs: durationMs(plan.drill.detectionTimeout),
        intervalMs,
        onEvaluated: (results) => rt.reportAnalysis(results),
      });
      if (
        detection.outcome !== 'abort' ||
        detection.decision.action !== 'abort' ||
        detection.decision.cause !== 'threshold-breach'
      ) {
        const why =
          detection.decision.action === 'abort'
            ? detection.decision.detail
            : 'no breach within the detection timeout';
        rt.fail(id('execution.rollback-triggered'), `the analysis did not detect the bad version: ${why}`, {
          evaluations: detection.state.evaluations,
          ...stageSlotEvidence(detection.slots, intervalMs),
        });
        abortLaunch('check-failed', `rollback drill: bad version not detected (${why})`);
      }
      const detectedAt = Date.now();
      await uninterrupted(() => changes.deploy({ ...staging, version: plan.previousVersion }));
      badDeployed = false;
      const rolledBackAt = Date.now();
      rt.pass(id('execution.rollback-triggered'), {
        breach: detection.decision.detail,
        detectionMs: detectedAt - deployedAt,
        rollbackMs: rolledBackAt - detectedAt,
        evaluations: detection.state.evaluations,
        ...stageSlotEvidence(detection.slots, intervalMs),
      });

      let healthyInARow = 0;
      const recovery = await runAnalysis({
        plan,
        target: { ...target, version: plan.previousVersion },
        windowMs: durationMs(plan.drill.recoveryTimeout),
        intervalMs,
        mode: 'observe', // right after the rollback the windowed rates still hold the bad version

        stopWhen: (results) => {
          healthyInARow = results.every((r) => r.verdict === 'pass') ? healthyInARow + 1 : 0;
          return healthyInARow >= plan.drill.recoveryEvaluations;
        },
      });
      const recovered = recovery.outcome === 'stopped';
      rt.verdict(
        id('execution.recovery-observed'),
        recovered,
        {
          recoveryMs: recovery.endedAt - rolledBackAt,
          healthyEvaluations: healthyInARow,
          lastResults: recovery.lastResults,
          ...stageSlotEvidence(recovery.slots, intervalMs),
        },
        `no ${plan.drill.recoveryEvaluations} healthy evaluations in a row within ${plan.drill.recoveryTimeout}`,
      );

      const version = await checks.currentVersion(staging);
      const [health] = await probes.probeHealth({
        integration: plan.integrations.health,
        service: plan.service,
        environment: staging.environment,
        slot: 'stable',
        count: 1,
        spacingMs: 0,
      });
      rt.verdict(
        id('verification.rollback-successful'),
        version === plan.previousVersion && !!health?.ok,
        { version, health },
        `staging runs ${version}, health ${health?.detail}`,
      );

      const integrityAfter = await checks.probeIntegrity({
        integration: plan.integrations.integrity,
        service: plan.service,
        environment: staging.environment,
      });
      const noLoss =
        integrityAfter.missing === 0 && integrityAfter.verifiedWrites >= integrityBefore.acknowledgedWrites;
      rt.verdict(
        id('verification.no-data-loss'),
        noLoss,
        { before: integrityBefore, after: integrityAfter },
        `${integrityAfter.missing} acknowledged writes missing`,
      );

      const failed = Object.values(rt.checklist).filter((i) => i.status === 'failed');
      if (failed.length > 0)
        abortLaunch(
          'check-failed',
          `rollback drill failed: ${failed.map((f) => `${f.id} (${f.reason})`).join('; ')}`,
        );
      return { detectionMs: detectedAt - deployedAt, recoveryMs: recovery.endedAt - rolledBackAt };
    } finally {
      // Never leave staging on the known-bad version, whatever stopped the drill.
      if (badDeployed)
        await CancellationScope.nonCancellable(() =>
          changes.deploy({ ...staging, version: plan.previousVersion }),
        );
    }
  });
}
