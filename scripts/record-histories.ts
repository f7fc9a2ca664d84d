/**
 * Records the replay fixtures of `test/workflow/replay-fixtures.test.ts`: real histories of every
 * workflow type, run on a Temporal dev server against the sandbox world with fast plans, written
 * to `test/fixtures/histories/<name>.json` (the protobuf JSON of Temporal's `History` message).
 *
 *   npm run fixtures:record                   # all scenarios
 *   npm run fixtures:record -- good-launch    # only the scenarios named
 *
 * Re-record when a workflow change is *meant* to change histories (and is deployed only once no
 * launch started on the old code is still running, or behind `patched()`): the replay test then
 * checks the new code against the new fixtures. Commit the JSON files with the change.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import type { LaunchPlanInput } from '../domain/plan.js';
import { launch } from '../workflows/launch.js';
import { monitoring } from '../workflows/monitoring.js';
import { analysisQuery, auditQuery, statusQuery } from '../workflows/messages.js';
import { approveEverything, autopilot, goodReview } from '../test/support/approver.js';
import { fastPlan } from '../test/support/plans.js';
import { historyToFixture } from '../test/support/replay.js';
import { eventually, startHarness, type Harness } from '../test/support/temporal.js';
import { serviceLockWorkflowId } from '../domain/service-lock.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../test/fixtures/histories/', import.meta.url));
const CHILDREN = ['readiness', 'lockdown', 'rollback-drill', 'traffic', 'monitoring', 'review'] as const;

type Recorded = { file: string; workflowId: string; runId?: string };
type Scenario = (h: Harness) => Promise<Recorded[]>;

const plan = (service: string, overrides: Partial<LaunchPlanInput> = {}) =>
  fastPlan({ service, launchId: `${service}-launch`, ...overrides });

async function startLaunchOf(h: Harness, p: LaunchPlanInput) {
  return h.env.client.workflow.start(launch, {
    taskQueue: h.taskQueue,
    workflowId: p.launchId!,
    args: [{ plan: p }],
  });
}

async function expectPhase(handle: WorkflowHandle<typeof launch>, phase: string) {
  const result = await handle.result();
  if (result.phase !== phase)
    throw new Error(`${handle.workflowId} ended ${result.phase}, expected ${phase}`);
}

const scenarios: Record<string, Scenario> = {
  /** LIVE: the launch and all six task workflows (one history each). */
  'good-launch': async (h) => {
    const handle = await startLaunchOf(h, plan('fx-live'));
    const docs = `${h.world.url}/docs/`;
    await autopilot(handle, (p) =>
      p.signal === 'postLaunchReview'
        ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
        : approveEverything(p),
    );
    await expectPhase(handle, 'LIVE');
    return [
      { file: 'launch-live', workflowId: handle.workflowId },
      ...CHILDREN.map((c) => ({ file: `task-${c}`, workflowId: `${handle.workflowId}/${c}` })),
      // The launch's service lock, released (cancelled) at its end.
      { file: 'service-lock', workflowId: serviceLockWorkflowId('fx-live', 'production') },
    ];
  },
  /** ROLLED_BACK: a breach at 10 % aborts the ramp; the saga undoes production. */
  rollback: async (h) => {
    h.world.badVersions.add('2.0.1-regressed');
    const handle = await startLaunchOf(h, plan('fx-rollback', { version: '2.0.1-regressed' }));
    await autopilot(handle);
    await expectPhase(handle, 'ROLLED_BACK');
    return [
      { file: 'launch-rolled-back', workflowId: handle.workflowId },
      { file: 'task-traffic-breach', workflowId: `${handle.workflowId}/traffic` },
    ];
  },
  /** ABORTED: a no-go at the readiness review. */
  'no-go': async (h) => {
    const handle = await startLaunchOf(h, plan('fx-nogo'));
    await autopilot(handle, (p) =>
      p.signal === 'goNoGo'
        ? { name: 'goNoGo', payload: { by: 'bob', decision: 'no-go', comment: 'CAB said no' } }
        : null,
    );
    await expectPhase(handle, 'ABORTED');
    return [
      { file: 'launch-no-go', workflowId: handle.workflowId },
      { file: 'task-readiness-no-go', workflowId: `${handle.workflowId}/readiness` },
    ];
  },
  /**
   * Refused approvals: a stranger's go, malformed payloads, unknown and reserved signal names, a
   * signal sent to the task instead of the launch; then the rollback authority aborts.
   */
  'refused-approval': async (h) => {
    const handle = await startLaunchOf(h, plan('fx-refused'));
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
      'goNoGo pending',
    );
    await handle.signal('goNoGo', { by: 'mallory', decision: 'go' });
    await handle.signal('goNoGo', { by: 123, decision: 'maybe', extra: true });
    await handle.signal('launchNow', { by: 'alice' });
    await handle.signal('__temporal_launch', { by: 'alice' });
    await h.env.client.workflow
      .getHandle(`${handle.workflowId}/readiness`)
      .signal('goNoGo', { by: 'alice', decision: 'go' });
    await eventually(
      () => handle.query(auditQuery),
      // The task's own refusal reaches the launch with its outcome, after the abort.
      (a) => a.filter((e) => e.outcome === 'refused').length >= 4,
      'four refusals',
    );
    await handle.signal('abort', { by: 'sre-sam', reason: 'fixture over' });
    await expectPhase(handle, 'ABORTED');
    return [
      { file: 'launch-refused-approval', workflowId: handle.workflowId },
      { file: 'task-readiness-refused', workflowId: `${handle.workflowId}/readiness` },
    ];
  },
  /** Monitoring run alone, continuing as new every two evaluations: the first run's history. */
  'monitoring-continue-as-new': async (h) => {
    const p = plan('fx-watch', { monitoring: { window: '6s', interval: '1s', onCallSchedule: 'primary' } });
    const handle = await h.env.client.workflow.start(monitoring, {
      taskQueue: h.taskQueue,
      workflowId: 'fx-watch/monitoring',
      args: [{ plan: p as never, launchId: 'fx-watch', evaluationsPerRun: 2 }],
    });
    await eventually(
      () => handle.query(analysisQuery),
      (a) => a !== null,
      'first evaluation',
    );
    await handle.signal('onCallAck', { by: 'olivia@example.com' });
    const result = await handle.result();
    if (result.runs < 2) throw new Error(`monitoring did not continue as new (${result.runs} runs)`);
    return [
      {
        file: 'task-monitoring-continued-as-new',
        workflowId: handle.workflowId,
        runId: handle.firstExecutionRunId,
      },
      { file: 'task-monitoring-last-run', workflowId: handle.workflowId },
    ];
  },
};

async function main() {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = only.filter((name) => !Object.hasOwn(scenarios, name));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const chosen = only.length > 0 ? only : Object.keys(scenarios);
  const startedAt = Date.now();
  const h = await startHarness();
  try {
    // Timing-sensitive (fast plans): the monitoring run alone, after the others; one retry each.
    const attempt = async (name: string) => {
      try {
        return await scenarios[name]!(h);
      } catch (err) {
        console.error(`  ${name} failed (${(err as Error).message}); once more`);
        return scenarios[name]!(h);
      }
    };
    const alone: string[] = chosen.filter((name) => name === 'monitoring-continue-as-new');
    const recorded = (await Promise.all(chosen.filter((n) => !alone.includes(n)).map(attempt))).flat();
    for (const name of alone) recorded.push(...(await attempt(name)));
    mkdirSync(FIXTURES_DIR, { recursive: true });
    if (only.length === 0)
      for (const file of readdirSync(FIXTURES_DIR))
        if (file.endsWith('.json')) rmSync(`${FIXTURES_DIR}${file}`);
    for (const r of recorded) {
      const history = await h.env.client.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
      const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
      if (failed > 0) throw new Error(`${r.workflowId} had ${failed} failed workflow task(s)`);
      const path = `${FIXTURES_DIR}${r.file}.json`;
      // Formatted as the repository's Prettier wants it, so `npm run lint` passes as recorded.
      const json = await prettier.format(historyToFixture(history), {
        ...(await prettier.resolveConfig(path)),
        filepath: path,
      });
      writeFileSync(path, json);
      console.log(
        `  ${r.file}.json  ${history.events?.length ?? 0} events  ${(json.length / 1024).toFixed(0)} KiB`,
      );
    }
    console.log(
      `fixtures: ${recorded.length} histories in ${FIXTURES_DIR} (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`,
    );
  } finally {
    await h.stop();
  }
}

await main();
