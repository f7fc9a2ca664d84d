/**
 * Item 3 of issue #6, slow integrations: an activity stuck on a slow system is cut off by its
 * Temporal timeout and retried, and the launch goes on. Two cases in one launch, on the sandbox
 * (a slow answer is injected with `world.delayNext`; the adapters' own HTTP timeouts are raised
 * above the activity timeouts so Temporal's are the ones that act):
 *
 *  - the canary's health endpoint hangs for 45 s during the dark launch: the probe activity stops
 *    heartbeating, the 30 s heartbeat timeout ends that attempt (not its 1 h start-to-close), and
 *    the retry probes again;
 *  - Prometheus takes 25 s to answer one analysis query at 10 %: the measurement (a local
 *    activity) is cut off by its 15 s start-to-close timeout (its marker is recorded 15–25 s
 *    after the slow answer was armed, not after the answer), the launch goes on and ends LIVE.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import proto from '@temporalio/proto'; // CommonJS: named exports are not visible to ESM
import type { IntegrationsConfig } from '../../integrations/config.js';
import { autopilot, approveEverything, goodReview } from '../support/approver.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';
import { startWorld, type World } from '../support/world.js';
import { statusQuery } from '../../workflows/messages.js';
import { localActivityOf } from '../support/local-activities.js';

const SERVICE = 'slowsvc';
let world: World;
let h: Harness;

before(async () => {
  world = await startWorld();
  const base = world.integrationsConfig();
  const slow = (config: IntegrationsConfig[keyof IntegrationsConfig]) =>
    Object.fromEntries(Object.entries(config ?? {}).map(([name, c]) => [name, { ...c, timeoutMs: 120_000 }]));
  const integrationsConfig = {
    ...base,
    metrics: slow(base.metrics),
    health: slow(base.health),
  } as IntegrationsConfig;
  h = await startHarness({ world, integrationsConfig });
});
after(async () => {
  await h?.stop();
  await world?.close();
});

type Started = { type: string; attempt: number; timeoutType: number | null | undefined };

/** Every activity's last attempt in a workflow's history: its type, attempt number and why the previous one failed. */
async function activityAttempts(workflowId: string): Promise<Started[]> {
  const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const typeOf = new Map<string, string>();
  const started: Started[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const s = e.activityTaskStartedEventAttributes;
    if (s)
      started.push({
        type: typeOf.get(String(s.scheduledEventId)) ?? '?',
        attempt: s.attempt ?? 1,
        timeoutType: s.lastFailure?.timeoutFailureInfo?.timeoutType,
      });
  }
  return started;
}

test('a hung health probe is cut off by its heartbeat timeout and a slow metric query by its start-to-close timeout; both retried, the launch ends LIVE', async () => {
  const { TimeoutType } = proto.temporal.api.enums.v1;
  // The dark launch probes production's canary; nothing else does.
  world.delayNext(`/health/${SERVICE}/production/canary`, 1, 45_000);
  const handle = await startLaunch(h, SERVICE);
  const docs = `${world.url}/docs/`;
  const approvals = autopilot(handle, (p) =>
    p.signal === 'postLaunchReview'
      ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
      : approveEverything(p),
  );
  await eventually(
    () => handle.query(statusQuery),
    (s) => s.trafficPercent === 10,
    '10% traffic',
    180_000,
  );
  const started = Date.now();
  world.delayNext('/api/v1/query', 1, 25_000);
  await approvals;
  const result = await handle.result();
  assert.equal(result.phase, 'LIVE', JSON.stringify(result.abort));

  const attempts = await activityAttempts(`${handle.workflowId}/traffic`);
  const probe = attempts.find((a) => a.type === 'probeHealth');
  assert.ok(probe, JSON.stringify(attempts));
  assert.equal(probe.attempt, 2, 'the probe was retried once');
  assert.equal(probe.timeoutType, TimeoutType.TIMEOUT_TYPE_HEARTBEAT, 'cut off by the heartbeat timeout');
  const traffic = await h.env.client.workflow.getHandle(`${handle.workflowId}/traffic`).fetchHistory();
  const measurements = (traffic.events ?? []).flatMap((e) => {
    const local = localActivityOf(e);
    return local?.type === 'measureSlots' ? [local] : [];
  });
  const seen = JSON.stringify(measurements.map((m) => ({ attempt: m.attempt, at: m.completedAt - started })));
  // The slow answer holds the first measurement that asks after it was armed (within an interval);
  // its marker is written when the 15 s start-to-close cuts it off, not when the answer comes.
  const slowQuery = measurements.find((m) => m.completedAt - started >= 15_000);
  assert.ok(slowQuery, `a measurement cut off by its start-to-close timeout: ${seen}`);
  const tookMs = slowQuery.completedAt - started;
  // Cut off by the 15 s start-to-close, retried at once, answered: well before the 25 s answer.
  assert.ok(
    tookMs >= 15_000 && tookMs < 25_000,
    `the retry completed ${tookMs} ms after the slow answer was armed`,
  );
  console.log(
    `[slow] probeHealth attempt ${probe.attempt} after a heartbeat timeout; measureSlots (attempt ${slowQuery.attempt}) cut off ${tookMs} ms after the slow answer was armed (start-to-close 15 s, answer 25 s); ${Math.round((Date.now() - started) / 1000)} s from the slow query to the end`,
  );
  await assertNoFailedWorkflowTasks(h, [handle.workflowId, `${handle.workflowId}/traffic`]);
});
