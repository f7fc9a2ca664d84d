/**
 * 5.2 Production configuration lockdown: snapshot and hash the config, check pins and debug
 * rules, then prove the freeze holds by sending an unauthorized change through the freeze gate
 * and finding its refusal in the audit log.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ConfigSnapshot } from '../activities/config-snapshot.js';
import { abortLaunch } from './abort.js';
import { checks } from './activity-options.js';
import { FreezeDesk } from './freeze.js';
import { checkTaskInput } from './plan-check.js';
import { LAUNCH_SERVICE } from './search-attributes.js';
import { ENGINE, TaskRuntime, type TaskInput } from './task-runtime.js';
import { publicSignals, SIGNAL_DESCRIPTIONS, type WithOutcome } from './messages.js';
import { setHandler } from '@temporalio/workflow';

const id = (key: string) => `5.2.${key}`;

export type LockdownResult = { snapshot: ConfigSnapshot };

export function lockdown(input: TaskInput): Promise<WithOutcome<LockdownResult>> {
  const { plan, launchId } = checkTaskInput(input);
  const rt = new TaskRuntime('5.2', plan, launchId);
  return rt.finish(async () => {
    const standalone = !rt.hasParent;
    let desk: FreezeDesk | undefined;
    if (standalone) {
      // Run alone, the lockdown holds its own freeze (in a launch, the launch holds it).
      upsertSearchAttributes([{ key: LAUNCH_SERVICE, value: plan.service }]);
      desk = new FreezeDesk(plan, workflowInfo().workflowId, (entry) => rt.record(entry));
      const freeze = desk;
      setHandler(publicSignals.freezeOverride, (raw) => void freeze.override(raw, 'signal'), {
        description: SIGNAL_DESCRIPTIONS.freezeOverride,
      });
      desk.activate();
    }

    rt.pass(id('policy.freeze-window'), {
      freezeWindow: plan.freezeWindow,
      registeredBy: standalone ? workflowInfo().workflowId : launchId,
    });
    rt.pass(id('policy.override-process'), {
      overrideApprovers: plan.approvals.freezeOverride,
      signal: 'freezeOverride',
      payload: { by: '<override approver>', reason: '<why>', change: '<change id>' },
    });

    const snapshot = await checks.snapshotConfig({
      integration: plan.integrations.config,
      service: plan.service,
      environment: plan.environments.production,
      debugRules: plan.lockdown.debugRules,
    });
    rt.pass(id('configuration.env-locked'), { sha256: snapshot.env.sha256, keys: snapshot.env.keys });
    rt.verdict(
      id('configuration.flags-locked'),
      !snapshot.flags.error,
      { sha256: snapshot.flags.sha256, flags: snapshot.flags.flags },
      snapshot.flags.error ?? '',
    );
    const lockOk =
      !snapshot.lockfile.error && snapshot.lockfile.packages > 0 && snapshot.lockfile.unpinned.length === 0;
    rt.verdict(
      id('configuration.dependencies-locked'),
      lockOk,
      { ...snapshot.lockfile },
      snapshot.lockfile.error ??
        (snapshot.lockfile.packages === 0
          ? 'the lockfile lists no packages'
          : `not pinned: ${snapshot.lockfile.unpinned.join(', ')}`),
    );
    const { violations, checkedKeys } = snapshot.debug;
    rt.verdict(
      id('configuration.debug-disabled'),
      violations.length === 0,
      { rules: plan.lockdown.debugRules, checkedKeys, violations },
      `debug enabled: ${violations.map((v) => `${v.source}:${v.key}=${v.value}`).join(', ')}`,
    );

    // Prove the freeze: an unauthorized change must be refused by the gate and audited.
    const change = `lockdown-probe-${launchId}`;
    const answer = await checks.probeFreezeGate({ service: plan.service, change, by: ENGINE });
    const refusals = answer.launches.filter((l) => !l.allowed);
    const blocked = !answer.allowed && refusals.length === answer.launches.length;
    rt.verdict(
      id('verification.unauthorized-change-blocked'),
      blocked,
      { change, answer },
      'the freeze gate allowed an unauthorized change',
    );

    const holder = refusals[0];
    const audit = holder ? await checks.readAudit({ workflowId: holder.launchId }) : [];
    const entry = audit.find((e) => e.seq === holder?.auditSeq);
    const inOrder = audit.every((e, i) => e.seq === i + 1);
    const auditOk =
      !!entry && entry.action === 'configChangeRequest' && entry.outcome === 'refused' && inOrder;
    rt.verdict(
      id('verification.audit-trail'),
      auditOk,
      { auditEntry: entry ?? null, entries: audit.length, inOrder },
      'the refused change is missing from the audit log',
    );

    const failed = Object.values(rt.checklist).filter((i) => i.status === 'failed');
    if (failed.length > 0) {
      desk?.lift('lockdown failed');
      abortLaunch(
        'check-failed',
        `lockdown checks failed: ${failed.map((f) => `${f.id} (${f.reason})`).join('; ')}`,
      );
    }
    // Standalone: hold the freeze until its window ends (the desk lifts it then).
    if (desk) await desk.windowEnd;
    return { snapshot };
  });
}
