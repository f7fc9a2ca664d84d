/**
 * `npm run demo` (good build 2.0.0) and `npm run demo -- --bad` (known-bad 3.0.0-bad): a whole
 * launch on the real demo stack with live progress, the humans played by a scripted approver
 * (labelled as such), then the final checklist, or the abort, the rollback and its timings.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChecklistMarkdown } from '../../domain/checklist.js';
import type { LaunchStatus } from '../../domain/launch-state.js';
import type { LaunchPlanInput } from '../../domain/plan.js';
import { createIntegrationRegistry } from '../../integrations/registry.js';
import { createLaunchWorker } from '../../worker/worker.js';
import { launch } from '../../workflows/launch.js';
import { auditQuery, checklistQuery, statusQuery } from '../../workflows/messages.js';
import { startDevServer } from '../dev-server.js';
import { PROJECT_ROOT, resolveTemporalCli } from '../temporal-cli.js';
import { approveEverything, autopilot, goodReview } from './approver.js';
import { startDemoEnvironment } from './environment.js';
import { freePorts } from './processes.js';

const bad = process.argv.includes('--bad');
const log = (line: string) => console.log(line);

/** The example plan with windows of seconds, so the whole launch takes a couple of minutes. */
function demoPlan(): LaunchPlanInput {
  const plan: LaunchPlanInput = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'examples', bad ? 'bad-version.json' : 'quickstart.json'), 'utf8'),
  );
  return {
    ...plan,
    launchId: `demo-${bad ? 'bad' : 'good'}-${Date.now().toString(36)}`,
    ramp: [
      { percent: 0, observationWindow: '6s', review: 'auto' },
      { percent: 10, observationWindow: '20s', review: 'manual' },
      { percent: 50, observationWindow: '12s', review: 'manual' },
      { percent: 100, observationWindow: '10s', review: 'auto' },
    ],
    analysis: { ...plan.analysis!, interval: '2s' },
    monitoring: { ...plan.monitoring, window: '12s', interval: '2s' },
  };
}

function progressLine(s: LaunchStatus, canaryShare: number): string {
  const metrics = (s.lastAnalysis?.results ?? []).map(
    (r) =>
      `${r.name}=${r.value === null ? 'n/a' : +r.value.toFixed(4)}${r.verdict === 'pass' ? '' : `(${r.verdict})`}`,
  );
  const next = s.nextTimer ? ` · next: ${s.nextTimer.what} at ${s.nextTimer.at.slice(11, 19)}` : '';
  const waiting = s.pendingApprovals.length
    ? ` · waiting for ${s.pendingApprovals.map((p) => p.signal).join(', ')}`
    : '';
  const share = Number.isFinite(canaryShare) ? ` (measured ${canaryShare.toFixed(0)}%)` : '';
  return `[launch] ${s.phase.padEnd(14)} traffic ${String(s.trafficPercent).padStart(3)}%${share} · items ${s.checklist.passed}/60${next}${waiting}${metrics.length ? `\n         ${metrics.join('  ')}` : ''}`;
}

async function main() {
  // ERROR: a task workflow that ends a launch (abort) is logged as a failed workflow at WARN.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const [port, uiPort] = await freePorts(2);
  const server = await startDevServer({
    cli: await resolveTemporalCli(log),
    port: port!,
    uiPort: uiPort!,
    dataDir: join(PROJECT_ROOT, '.data', 'demo-temporal'),
    log,
  });
  log('[demo] starting the demo stack (HAProxy, Prometheus, demo service, load generator)…');
  const demo = await startDemoEnvironment({ log });
  const connection = await NativeConnection.connect({ address: server.address });
  const clientConnection = await Connection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection });
  const worker = await createLaunchWorker({
    connection,
    client,
    namespace: 'default',
    taskQueue: 'launch-control-demo',
    integrations: createIntegrationRegistry(demo.integrationsConfig),
  });
  const running = worker.run();
  const stop = async () => {
    worker.shutdown();
    await running;
    await demo.stop();
    await server.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));

  try {
    const plan = demoPlan();
    const version = plan.version;
    const handle = await client.workflow.start(launch, {
      taskQueue: 'launch-control-demo',
      workflowId: plan.launchId!,
      args: [{ plan }],
    });
    log(
      `[demo] launch ${plan.launchId} of checkout ${version}; Temporal UI: ${server.uiUrl}/namespaces/default/workflows/${plan.launchId}`,
    );
    log(
      '[demo] approvals are sent by a scripted approver (in real use: people, from the Temporal UI or the API)',
    );
    const docs = `${demo.world.url}/docs/`;
    const approvals = autopilot(handle, (p) => {
      const message =
        p.signal === 'postLaunchReview'
          ? { name: p.signal, payload: goodReview(p.approvers[0]!, p, docs) }
          : approveEverything(p);
      if (message)
        log(
          `[approver] ${(message.payload as { by: string }).by} sends ${message.name} ${JSON.stringify(message.payload).slice(0, 100)}`,
        );
      return message;
    });
    let last = '';
    let done = false;
    void handle.result().finally(() => (done = true));
    while (!done) {
      try {
        const line = progressLine(
          await handle.query(statusQuery),
          demo.stack.loadgen.canaryShare('production', version, 3_000) * 100,
        );
        if (line !== last) log((last = line));
      } catch {
        // between workflow tasks
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await approvals;
    const result = await handle.result();
    const status = await handle.query(statusQuery);
    log(`\n[demo] ${plan.launchId} ended ${result.phase}`);
    const checklist = await handle.query(checklistQuery);
    const drill = checklist['5.4.execution.rollback-triggered']?.evidence as
      { detectionMs?: number } | undefined;
    const recovery = checklist['5.4.execution.recovery-observed']?.evidence as
      { recoveryMs?: number } | undefined;
    if (drill?.detectionMs)
      log(
        `[demo] rollback drill on staging: detected in ${(drill.detectionMs / 1000).toFixed(1)} s, recovered in ${((recovery?.recoveryMs ?? 0) / 1000).toFixed(1)} s`,
      );
    if (result.abort) {
      log(`[demo] cause: ${result.abort.cause} — ${result.abort.detail}`);
      for (const c of status.compensations)
        log(`[demo] rollback step: ${c.step} — ${c.status} (attempt ${c.attempts})`);
      const audit = await handle.query(auditQuery);
      const undone = audit.filter((e) => e.action === 'compensation').at(-1);
      if (undone)
        log(
          `[demo] rollback complete ${((Date.parse(undone.at) - Date.parse(result.abort.at)) / 1000).toFixed(1)} s after the abort`,
        );
      await new Promise((r) => setTimeout(r, 2_500));
      log(
        `[demo] measured through HAProxy now: ${(demo.stack.loadgen.canaryShare('production', version, 2_000) * 100).toFixed(0)}% of requests reach ${version}`,
      );
      const failed = Object.values(checklist).filter((i) => i.status === 'failed');
      log(
        `[demo] checklist: ${status.checklist.passed}/60 passed; failed: ${failed.map((i) => `${i.id} (${i.reason})`).join('; ')}`,
      );
    } else {
      log(`\n${renderChecklistMarkdown(checklist)}`);
    }
    process.exitCode = result.phase === (bad ? 'ROLLED_BACK' : 'LIVE') ? 0 : 1;
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(`[demo] failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
