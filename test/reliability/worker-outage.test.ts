/**
 * Issue 12, "analysis with no gaps", proof under faults (the small version of
 * `npm run chaos -- --outages`): on the demo stack, good and known-bad launches on two lanes while
 * each lane's worker is brought down for 1, 2 or 3 analysis intervals inside every ramp stage with
 * traffic and inside heightened monitoring. A worker outage must not roll back a good build nor let
 * a bad one through; nothing may be left split, lost or duplicated. The test also checks that
 * outages of every length really hit both the ramp and monitoring, so it cannot pass without them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatLaunch, runChaos, summaryLine } from '../../scripts/chaos/chaos.js';
import { outageSummaryLines } from '../../scripts/chaos/outages.js';

const dataRoot = mkdtempSync(join(tmpdir(), 'lc-outage-'));
after(() => rmSync(dataRoot, { recursive: true, force: true }));

test('worker outages of 1–3 analysis intervals during ramp stages and monitoring: no good build rolled back, no bad build promoted', async () => {
  // Lane 1: good, bad, good; lane 2: bad, good. Three good launches: monitoring outages of 1, 2 and 3.
  const report = await runChaos({
    launches: 5,
    lanes: 2,
    badEvery: 2,
    outages: true,
    seed: 12,
    dataRoot,
    log: () => undefined,
  });
  for (const launch of report.launches) console.log(formatLaunch(launch));
  console.log(summaryLine(report));
  for (const line of outageSummaryLines(report)) console.log(line);

  const t = report.totals;
  const f = t.outages!;
  assert.equal(t.launches, 5);
  // The faults really happened: every length, in ramp stages and in monitoring.
  assert.deepEqual(
    Object.values(f.rampByLength).map((n) => n > 0),
    [true, true, true],
    `ramp outages by length ${JSON.stringify(f.rampByLength)}`,
  );
  assert.deepEqual(
    Object.values(f.monitoringByLength).map((n) => n > 0),
    [true, true, true],
    `monitoring outages by length ${JSON.stringify(f.monitoringByLength)}`,
  );
  // The verdicts.
  assert.deepEqual(
    report.launches.map((l) => [l.launchId, l.actual, l.error ?? null]),
    report.launches.map((l) => [l.launchId, l.expected, null]),
    outageSummaryLines(report).join('\n'),
  );
  assert.equal(f.goodRolledBack, 0, 'good builds rolled back');
  assert.equal(f.badPromoted, 0, 'bad builds promoted');
  assert.equal(t.splitTraffic, 0, 'HAProxy left split');
  assert.equal(t.wrongVersions, 0, 'a slot runs the wrong version');
  for (const launch of report.launches) {
    assert.deepEqual(launch.duplicateAuditDetails, [], `${launch.launchId}: duplicate audit entries`);
    assert.deepEqual(launch.failedWorkflowTaskDetails, [], `${launch.launchId}: failed workflow tasks`);
  }
  assert.equal(t.lostApprovals + t.duplicateAudit + t.failedWorkflowTasks + t.errors, 0);
});
