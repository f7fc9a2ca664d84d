/**
 * 5.1 Pre-launch readiness review: policy items from the plan, system checks against the real
 * integrations, a summary to the approvers, then an explicit go/no-go (timeout = no-go).
 */
import { durationMs } from '../domain/durations.js';
import { renderQuery } from '../domain/plan.js';
import { checkTaskInput } from './plan-check.js';
import { abortLaunch } from './abort.js';
import { checks } from './activity-options.js';
import type { WithOutcome } from './messages.js';
import { TaskRuntime, type TaskInput } from './task-runtime.js';

const id = (key: string) => `5.1.${key}`;

export function readiness(input: TaskInput): Promise<WithOutcome<{ decidedBy: string }>> {
  const { plan, launchId } = checkTaskInput(input);
  const rt = new TaskRuntime('5.1', plan, launchId, ['goNoGo']);
  return rt.finish(async () => {
    const { service } = plan;
    const production = plan.environments.production;
    const now = Date.now();

    // Readiness policy: stated in the plan and consistent (the schema enforced the rules).
    rt.pass(id('policy.owners'), { owners: plan.owners });
    rt.verdict(
      id('policy.launch-window'),
      Date.parse(plan.launchWindow.end) > now,
      { launchWindow: plan.launchWindow },
      'the launch window has already closed',
    );
    rt.pass(id('policy.freeze-period'), { freezeWindow: plan.freezeWindow, coversLaunchWindow: true });
    rt.pass(id('policy.rollback-authority'), { rollbackAuthority: plan.approvals.rollbackAuthority });
    const successSamples = await checks.runMetricQueries({
      integration: plan.integrations.metrics,
      queries: plan.successMetrics.map((m) => ({
        name: m.name,
        query: renderQuery(m.query, { service, environment: production, version: plan.version }),
      })),
    });
    const brokenQueries = Object.entries(successSamples).filter(([, s]) => s.status === 'error');
    rt.verdict(
      id('policy.success-metrics'),
      brokenQueries.length === 0,
      { metrics: plan.successMetrics, samples: successSamples },
      `queries that do not run: ${brokenQueries.map(([n]) => n).join(', ')}`,
    );

    // System checks.
    const gates = await checks.checkGateDocs({
      integration: plan.integrations.docs,
      service,
      gates: plan.readiness.gates,
    });
    const openGates = gates.filter((g) => g.status !== 'passed');
    rt.verdict(
      id('system.gate-docs'),
      openGates.length === 0,
      { gates },
      `not passed: ${openGates.map((g) => `${g.gate} (${g.status})`).join(', ')}`,
    );

    const run = await checks.latestCiRun({
      integration: plan.integrations.ci,
      pipeline: plan.readiness.ciPipeline,
      branch: plan.readiness.ciBranch,
    });
    rt.verdict(
      id('system.ci-green'),
      run?.conclusion === 'success',
      { pipeline: plan.readiness.ciPipeline, branch: plan.readiness.ciBranch, run },
      run ? `latest run ${run.id} is ${run.status}/${run.conclusion}` : 'no run found',
    );

    const capacity = await checks.runMetricQueries({
      integration: plan.integrations.metrics,
      queries: [{ name: 'capacity', query: plan.readiness.capacityQuery }],
    });
    const headroom = capacity.capacity;
    rt.verdict(
      id('system.capacity'),
      headroom?.status === 'ok' && headroom.value >= plan.readiness.minCapacityHeadroom,
      { sample: headroom, minimum: plan.readiness.minCapacityHeadroom },
      headroom?.status === 'ok'
        ? `headroom ${headroom.value} below ${plan.readiness.minCapacityHeadroom}`
        : `capacity inconclusive: ${headroom?.status}`,
    );

    const present = await checks.listSecretNames({
      integration: plan.integrations.secrets,
      service,
      environment: production,
    });
    const missing = plan.readiness.requiredSecrets.filter((name) => !present.includes(name));
    rt.verdict(
      id('system.secrets'),
      missing.length === 0,
      { required: plan.readiness.requiredSecrets, missing },
      `missing secrets: ${missing.join(', ')}`,
    );

    const backup = await checks.backupStatus({
      integration: plan.integrations.backups,
      service,
      environment: production,
    });
    const backupAge = backup.lastBackupAt ? now - Date.parse(backup.lastBackupAt) : Number.POSITIVE_INFINITY;
    rt.verdict(
      id('system.backups'),
      backupAge <= durationMs(plan.readiness.maxBackupAge) && backup.lastRestoreTestPassed === true,
      { ...backup, maxAge: plan.readiness.maxBackupAge },
      backup.lastRestoreTestPassed !== true
        ? 'the last restore test did not pass'
        : 'the last backup is older than allowed',
    );

    // The review: every check passed, and the approvers were told what they decide on.
    const failed = Object.values(rt.checklist).filter((item) => item.status === 'failed');
    if (failed.length > 0) {
      rt.fail(id('verification.review-conducted'), 'readiness checks failed', {
        failed: failed.map((f) => f.id),
      });
      rt.item(id('verification.go-no-go'), 'skipped', { reason: 'readiness checks failed' });
      abortLaunch(
        'check-failed',
        `readiness checks failed: ${failed.map((f) => `${f.id} (${f.reason})`).join('; ')}`,
      );
    }
    const summary = `Readiness of ${service} ${plan.version}: ${Object.keys(rt.checklist).length} checks passed. Go/no-go needed from ${plan.approvals.goNoGo.join(', ')}.`;
    await checks.notify({
      integration: plan.integrations.notifier,
      channels: plan.notifications.channels,
      message: {
        title: `Go/no-go needed: ${service} ${plan.version}`,
        text: summary,
        launchId: launchId,
      },
    });
    rt.pass(id('verification.review-conducted'), { summary, notified: plan.notifications.channels });

    const decision = await rt.approvals.awaitApproval('goNoGo', {
      approvers: plan.approvals.goNoGo,
      timeoutMs: durationMs(plan.approvals.timeout),
    });
    if (!decision) {
      rt.fail(id('verification.go-no-go'), `no decision within ${plan.approvals.timeout}`);
      abortLaunch('approval-timeout', `no go/no-go decision within ${plan.approvals.timeout}`);
    }
    if (decision.decision !== 'go') {
      rt.fail(id('verification.go-no-go'), `no-go from ${decision.by}`, { decision });
      abortLaunch(
        'no-go',
        `${decision.by} decided no-go${decision.comment ? `: ${decision.comment}` : ''}`,
        decision.by,
      );
    }
    rt.pass(id('verification.go-no-go'), { decision }, decision.by);
    return { decidedBy: decision.by };
  });
}
