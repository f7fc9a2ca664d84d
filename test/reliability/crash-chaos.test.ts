/**
 * Item 1 of issue #6, the small version `npm test` runs (`npm run chaos` is the full one): on the
 * demo stack, a good and a known-bad launch side by side (two lanes: a demo stack, a namespace and
 * a worker process each) while each worker process is SIGKILLed every few seconds and restarted,
 * and every approval is sent while the worker is down. Each launch must end as it should (LIVE /
 * ROLLED_BACK), HAProxy must not be left split, every approval must be in the audit exactly once,
 * no audit entry may be duplicated and no workflow task may fail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatLaunch, runChaos, summaryLine } from '../../scripts/chaos/chaos.js';

const dataRoot = mkdtempSync(join(tmpdir(), 'lc-chaos-'));
after(() => rmSync(dataRoot, { recursive: true, force: true }));

test('crash chaos: a good and a known-bad launch under random SIGKILLs of their workers end as they should, nothing split, lost or duplicated', async () => {
  const report = await runChaos({
    launches: 2,
    lanes: 2,
    badEvery: 2,
    killAfterMs: [6_000, 15_000],
    downForMs: [500, 2_000],
    dataRoot,
    log: () => undefined,
  });
  for (const launch of report.launches) console.log(formatLaunch(launch));
  console.log(summaryLine(report));
  const t = report.totals;
  assert.equal(t.launches, 2);
  assert.deepEqual(
    report.launches.map((l) => [l.launchId, l.actual, l.error ?? null]),
    report.launches.map((l) => [l.launchId, l.expected, null]),
  );
  assert.ok(t.sigkills >= 2, `the workers were killed (${t.sigkills} SIGKILLs)`);
  assert.equal(t.splitTraffic, 0, 'HAProxy left split');
  assert.equal(t.wrongVersions, 0, 'a slot runs the wrong version');
  for (const launch of report.launches) {
    assert.ok(launch.approvals.length > 0, `${launch.launchId} had approvals`);
    assert.ok(
      launch.approvals.every((a) => a.sentWhileDown && a.acceptedInAudit === 1),
      `${launch.launchId}: every approval sent while the worker was down and audited once: ${JSON.stringify(launch.approvals)}`,
    );
    assert.deepEqual(launch.duplicateAuditDetails, [], `${launch.launchId}: duplicate audit entries`);
    assert.deepEqual(launch.failedWorkflowTaskDetails, [], `${launch.launchId}: failed workflow tasks`);
  }
  assert.equal(t.lostApprovals + t.duplicateAudit + t.failedWorkflowTasks + t.errors, 0);
});
