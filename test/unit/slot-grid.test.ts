import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  newAnalysisState,
  recordEvaluation,
  slotGrid,
  slotsInWindow,
  slotTime,
  unsettledDecision,
  type ThresholdResult,
} from '../../domain/analysis.js';

const limits = { consecutiveBreaches: 2, consecutiveErrorLimit: 3 };

test('slots sit at the end of each interval, the last one at the end of the window', () => {
  const grid = slotGrid(1_000, 10_000, 3_000, limits);
  assert.equal(slotsInWindow(grid), 4);
  assert.deepEqual(
    [1, 2, 3, 4].map((k) => slotTime(grid, k)),
    [4_000, 7_000, 10_000, 11_000],
  );
  // Follow-up slots (a run still open at the end) continue the interval after the window.
  assert.equal(grid.followUps, 3);
  assert.deepEqual(
    [5, 6, 7].map((k) => slotTime(grid, k)),
    [14_000, 17_000, 20_000],
  );
  assert.equal(
    slotsInWindow(slotGrid(0, 500, 1_000, limits)),
    1,
    'a window shorter than an interval has one slot',
  );
});

test('a window that does not settle ends as unsettled, naming the open runs', () => {
  const state = newAnalysisState();
  const result = (name: string, verdict: ThresholdResult['verdict']): ThresholdResult => ({
    name,
    category: 'errors',
    verdict,
    value: null,
  });
  // Two thresholds out of phase: neither reaches a limit, the state is never clean.
  for (let i = 0; i < 6; i++)
    assert.equal(
      recordEvaluation(
        state,
        [result('a', i % 2 ? 'breach' : 'pass'), result('b', i % 2 ? 'pass' : 'breach')],
        limits,
      ).action,
      'continue',
    );
  const decision = unsettledDecision(state, ['a', 'b'], 3);
  assert.equal(decision.action, 'abort');
  assert.equal(decision.action === 'abort' && decision.cause, 'analysis-unsettled');
  assert.match(
    decision.action === 'abort' ? decision.detail : '',
    /^a still breaching or without data 3 intervals/,
  );
});
