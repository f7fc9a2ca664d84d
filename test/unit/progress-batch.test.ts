/** A batch of task reports lands in the launch exactly as the reports would have, one by one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyItemUpdate, type ChecklistState } from '../../domain/checklist.js';
import { CATALOG } from '../../domain/checklist-catalog.js';
import { mergeTaskProgress, type ProgressReport } from '../../workflows/progress-batch.js';

/** What the launch keeps of a task's reports (the rules of `LaunchBook.applyProgress`). */
function applyToLaunch(reports: ProgressReport[]) {
  const launch = {
    checklist: {} as ChecklistState,
    audit: [] as string[],
    pending: undefined as unknown,
    trafficPercent: 0,
    productionTouched: false,
    nextTimer: undefined as unknown,
    lastAnalysis: undefined as unknown,
  };
  for (const r of reports) {
    for (const update of r.items ?? []) applyItemUpdate(launch.checklist, update);
    for (const entry of r.audit ?? []) launch.audit.push(entry.action);
    if (r.pending) launch.pending = r.pending;
    if (r.productionTouched) launch.productionTouched = true;
    if (r.trafficPercent !== undefined) launch.trafficPercent = r.trafficPercent;
    if (r.nextTimer !== undefined) launch.nextTimer = r.nextTimer;
    if (r.lastAnalysis) launch.lastAnalysis = r.lastAnalysis;
  }
  return launch;
}

const ids = CATALOG.filter((i) => i.task === '5.3').map((i) => i.id);
const report: fc.Arbitrary<ProgressReport> = fc.record(
  {
    items: fc.array(
      fc.record({
        id: fc.constantFrom(...ids),
        status: fc.constantFrom('running' as const, 'passed' as const, 'failed' as const),
      }),
      { maxLength: 3 },
    ),
    audit: fc.array(
      fc.record({
        actor: fc.constant('launch-control'),
        action: fc.string({ minLength: 1, maxLength: 5 }),
        outcome: fc.constant('recorded' as const),
        identity: fc.constant('system' as const),
        via: fc.constant('workflow' as const),
        at: fc.constant('2026-12-01T00:00:00.000Z'),
      }),
      { maxLength: 2 },
    ),
    pending: fc.constant([]),
    trafficPercent: fc.constantFrom(0, 10, 50, 100),
    productionTouched: fc.constant(true as const),
    nextTimer: fc.option(fc.record({ what: fc.string(), at: fc.constant('2026-12-01T00:00:05.000Z') })),
    lastAnalysis: fc.record({ at: fc.string(), results: fc.constant([]) }),
  },
  { requiredKeys: [] },
);

test('a merged batch leaves the launch as the reports applied one by one would', () => {
  fc.assert(
    fc.property(fc.array(report, { maxLength: 8 }), (reports) => {
      assert.deepEqual(applyToLaunch([mergeTaskProgress(reports)]), applyToLaunch(reports));
    }),
    { numRuns: 500 },
  );
});

test('order is kept: an item that ran and then passed stays passed; the later timer wins', () => {
  const merged = mergeTaskProgress([
    { items: [{ id: ids[0]!, status: 'running' }], nextTimer: { what: 'window', at: 'a' } },
    { items: [{ id: ids[0]!, status: 'passed' }], productionTouched: true },
    { nextTimer: null, trafficPercent: 10 },
  ]);
  assert.deepEqual(merged, {
    items: [
      { id: ids[0], status: 'running' },
      { id: ids[0], status: 'passed' },
    ],
    productionTouched: true,
    nextTimer: null,
    trafficPercent: 10,
  });
  assert.deepEqual(mergeTaskProgress([]), {});
});
