/**
 * Item 3 of issue #6, the router: HAProxy is down while a launch compensates. The undo that sends
 * traffic back to stable fails, alerts ("ROLLBACK STUCK") on every failed attempt, retries with a
 * growing backoff, and completes once HAProxy is back — which comes back split (10 % canary, as a
 * production HAProxy restarted from its server-state file would), so the undo really has to move
 * the traffic. Real dev server, real demo stack, the worker as its own process.
 *
 * (Prometheus down → inconclusive → abort after the limit → ROLLED_BACK is test/e2e/demo-stack.test.ts,
 * "Prometheus stopped mid-window".)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LaunchStatus } from '../../domain/launch-state.js';
import { chaosPlan, duplicateAuditDetails, failedWorkflowTaskDetails } from '../../scripts/chaos/chaos.js';
import { startLane, type Lane } from '../../scripts/chaos/lane.js';
import { approveEverything } from '../../scripts/demo/approver.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { startDevServer, type DevServer } from '../../scripts/dev-server.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { launch } from '../../workflows/launch.js';
import { auditQuery, statusQuery } from '../../workflows/messages.js';

const NAMESPACE = 'outage';
const UNDO_TRAFFIC = 'send all traffic to stable';
const dataRoot = mkdtempSync(join(tmpdir(), 'lc-outage-'));
let server: DevServer | null = null;
let lane: Lane | null = null;

before(async () => {
  const [port, uiPort] = (await freePorts(2)) as [number, number];
  server = await startDevServer({
    cli: await resolveTemporalCli(),
    port,
    uiPort,
    dataDir: join(dataRoot, 'temporal'),
    namespaces: [NAMESPACE],
  });
  lane = await startLane({
    index: 1,
    namespace: NAMESPACE,
    address: server.address,
    dataRoot,
    log: () => undefined,
  });
  await lane.startWorker();
});
after(async () => {
  await lane?.stop();
  await server?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('HAProxy down during the compensation: the undo retries with backoff, alerts while failing, completes when HAProxy returns', async () => {
  const l = lane!;
  const { client } = l;
  const { stack, world } = l.demo;
  const plan = chaosPlan('outage-haproxy', '2.0.0');
  const handle = await client.workflow.start(launch, {
    taskQueue: l.taskQueue,
    workflowId: 'outage-haproxy',
    args: [{ plan }],
  });
  const answered = new Set<string>();
  const status = () => client.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery));
  let s: LaunchStatus;
  for (;;) {
    s = await status();
    for (const p of s.pendingApprovals) {
      const message = approveEverything(p);
      if (!message || answered.has(`${p.signal}:${p.stage}`)) continue;
      answered.add(`${p.signal}:${p.stage}`);
      await handle.signal(message.name, message.payload);
    }
    if (s.phase === 'TRAFFIC' && s.trafficPercent === 10) break;
    assert.ok(!['ROLLED_BACK', 'ABORTED', 'FAILED', 'LIVE'].includes(s.phase), `ended early: ${s.phase}`);
    await sleep(300);
  }
  const split = await l.productionWeights();
  assert.deepEqual([split.canary.weight, split.stable.weight], [10, 90]);

  // HAProxy goes away with 10 % on the canary; the operator aborts.
  await stack.stopHaproxy();
  const alertsBefore = world.notifications.filter((n) => n.text.includes('ROLLBACK STUCK')).length;
  await handle.signal('abort', { by: 'sre-sam', reason: 'reliability test: abort while HAProxy is down' });

  // The undo fails a few times (each attempt is 3 activity tries), alerting every time.
  const failedAttempts = (st: LaunchStatus) =>
    st.compensations.filter((c) => c.step === UNDO_TRAFFIC && c.status === 'failed').length;
  for (;;) {
    s = await status();
    if (failedAttempts(s) >= 3) break;
    assert.notEqual(s.phase, 'ROLLED_BACK', 'the undo cannot succeed while HAProxy is down');
    await sleep(500);
  }
  assert.equal(s.phase, 'ROLLING_BACK');
  const failure = s.compensations.find((c) => c.step === UNDO_TRAFFIC && c.status === 'failed')!;
  assert.match(failure.detail ?? '', /haproxy|socket|ENOENT|ECONNREFUSED/i);

  // HAProxy returns, still split as it was.
  await stack.startHaproxy({ weights: { production: { canary: 10, stable: 90 } } });
  const result = await handle.result();
  assert.equal(result.phase, 'ROLLED_BACK', JSON.stringify(result.abort));
  assert.equal(result.abort?.cause, 'operator-abort');

  const weights = await l.productionWeights();
  assert.deepEqual(
    [weights.canary.weight, weights.stable.weight],
    [0, 100],
    'the undo moved the traffic back',
  );
  assert.equal(stack.versionOf('production', 'canary'), '1.0.0');

  const end = await status();
  const steps = end.compensations.filter((c) => c.step === UNDO_TRAFFIC);
  const done = steps.find((c) => c.status === 'done');
  assert.ok(done, JSON.stringify(steps));
  assert.ok(done.attempts >= 4, `completed on attempt ${done.attempts}, after the failed ones`);
  const alerts = world.notifications.filter((n) => n.text.includes('ROLLBACK STUCK')).length - alertsBefore;
  // One alert per failed attempt, on each of the plan's channels.
  assert.ok(
    alerts >= (done.attempts - 1) * plan.notifications!.channels.length,
    `${alerts} ROLLBACK STUCK alerts for ${done.attempts - 1} failed attempts`,
  );

  // Backoff: the waits between attempts (durable timers in the launch's history) grow.
  const history = await handle.fetchHistory();
  const waits = (history.events ?? [])
    .map((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds)
    .filter((v) => v !== undefined && v !== null)
    .map(Number);
  const backoff = waits.slice(-(done.attempts - 1));
  assert.deepEqual(
    backoff,
    [...backoff].sort((a, b) => a - b),
    `waits between undo attempts grow: ${backoff.join(', ')} s`,
  );
  assert.ok(backoff[backoff.length - 1]! > backoff[0]!, `waits ${backoff.join(', ')} s`);
  console.log(
    `[outage] undo "${UNDO_TRAFFIC}": ${done.attempts - 1} failed attempts, waits ${backoff.join(', ')} s, ${alerts} alerts; completed on attempt ${done.attempts}`,
  );

  const audit = await client.withDeadline(Date.now() + 10_000, () => handle.query(auditQuery));
  assert.deepEqual(duplicateAuditDetails(audit), []);
  assert.deepEqual(await failedWorkflowTaskDetails(client, 'outage-haproxy'), []);
});
