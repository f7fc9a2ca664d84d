/**
 * Item 2 of issue #6: the Temporal dev server (SQLite file) is stopped and started again on the
 * same database in the middle of the traffic ramp. The launch, its timers and its approvals live
 * in that file: it resumes and ends LIVE, with HAProxy back on one server and the audit intact.
 * Real dev server, real demo stack (HAProxy, Prometheus), the worker as its own process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LaunchStatus } from '../../domain/launch-state.js';
import { chaosPlan, duplicateAuditDetails, failedWorkflowTaskDetails } from '../../scripts/chaos/chaos.js';
import { startLane, type Lane } from '../../scripts/chaos/lane.js';
import { freePorts } from '../../scripts/demo/processes.js';
import { approveEverything, goodReview } from '../../scripts/demo/approver.js';
import { startDevServer, type DevServer } from '../../scripts/dev-server.js';
import { resolveTemporalCli } from '../../scripts/temporal-cli.js';
import { launch } from '../../workflows/launch.js';
import { auditQuery, statusQuery } from '../../workflows/messages.js';

const NAMESPACE = 'restart';
const dataRoot = mkdtempSync(join(tmpdir(), 'lc-restart-'));
let server: DevServer | null = null;
let lane: Lane | null = null;
let port = 0;
let uiPort = 0;

const startServer = async () =>
  startDevServer({
    cli: await resolveTemporalCli(),
    port,
    uiPort,
    dataDir: join(dataRoot, 'temporal'),
    namespaces: [NAMESPACE],
  });

before(async () => {
  [port, uiPort] = (await freePorts(2)) as [number, number];
  server = await startServer();
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

test('the dev server restarted mid-ramp: the launch resumes from its SQLite file and ends LIVE, traffic not split', async () => {
  const l = lane!;
  const client = l.client;
  const plan = chaosPlan('restart-good', '2.0.0');
  const handle = await client.workflow.start(launch, {
    taskQueue: l.taskQueue,
    workflowId: 'restart-good',
    args: [{ plan }],
  });
  const docs = `${l.demo.world.url}/docs/`;
  const answered = new Set<string>();
  let restarted: { at: string; downMs: number; workerSurvived: boolean } | null = null;
  const started = Date.now();
  for (;;) {
    // Everything here tolerates the server being away: errors are simply tried again.
    const description = await handle.describe().catch(() => null);
    if (description && description.status.name !== 'RUNNING') break;
    const status: LaunchStatus | null = await client
      .withDeadline(Date.now() + 5_000, () => handle.query(statusQuery))
      .catch(() => null);
    for (const p of status?.pendingApprovals ?? []) {
      const key = `${p.signal}:${p.stage ?? ''}`;
      if (answered.has(key)) continue;
      const message =
        p.signal === 'postLaunchReview'
          ? { name: 'postLaunchReview', payload: goodReview(p.approvers[0]!, p, docs) }
          : approveEverything(p);
      if (!message) continue;
      try {
        await handle.signal(message.name, message.payload);
        answered.add(key);
      } catch {
        // the server is restarting: next round
      }
    }
    if (!restarted && status?.phase === 'TRAFFIC' && status.trafficPercent === 10) {
      // Mid-ramp: 10 % of production on the canary, an analysis window running.
      const stoppedAt = Date.now();
      await server!.stop();
      await sleep(5_000);
      server = await startServer();
      const workerSurvived = l.workerUp();
      if (!workerSurvived) await l.startWorker();
      restarted = { at: new Date(stoppedAt).toISOString(), downMs: Date.now() - stoppedAt, workerSurvived };
      console.log(`[restart] dev server down for ${restarted.downMs} ms; worker survived: ${workerSurvived}`);
    }
    await sleep(300);
  }
  const result = await handle.result();
  console.log(`[restart] launch ended ${result.phase} after ${Math.round((Date.now() - started) / 1000)} s`);
  assert.ok(restarted, 'the server was restarted during the ramp');
  assert.equal(result.phase, 'LIVE', JSON.stringify(result.abort));
  const weights = await l.productionWeights();
  assert.deepEqual([weights.canary.weight, weights.stable.weight], [0, 100], 'traffic not left split');
  assert.equal(l.demo.stack.versionOf('production', 'stable'), '2.0.0');
  const audit = await client.withDeadline(Date.now() + 10_000, () => handle.query(auditQuery));
  assert.deepEqual(duplicateAuditDetails(audit), [], 'no duplicate audit entry');
  for (const key of answered) {
    const [name, stage] = key.split(':');
    const accepted = audit.filter(
      (e) =>
        e.action === name &&
        e.outcome === 'accepted' &&
        (!stage || (e.detail?.payload as { stage?: number } | undefined)?.stage === Number(stage)),
    );
    assert.equal(accepted.length, 1, `${key} accepted exactly once`);
  }
  assert.deepEqual(await failedWorkflowTaskDetails(client, 'restart-good'), [], 'no failed workflow task');
});
