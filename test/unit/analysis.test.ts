import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluateAbortThresholds,
  judgeSample,
  newAnalysisState,
  recordEvaluation,
  type Sample,
} from '../../domain/analysis.js';
import type { Threshold } from '../../domain/plan.js';

const errorRatio: Threshold = { name: 'errors', category: 'errors', query: 'q', max: 0.05 };
const orders: Threshold = { name: 'orders', category: 'business', query: 'q', min: 10 };
const ok = (value: number): Sample => ({ status: 'ok', value });
const limits = { consecutiveBreaches: 2, consecutiveErrorLimit: 3 };

test('inside bounds passes, outside breaches, and no value is inconclusive, never a pass', () => {
  assert.equal(judgeSample(errorRatio, ok(0.01)).verdict, 'pass');
  assert.equal(judgeSample(errorRatio, ok(0.05)).verdict, 'pass', 'bounds are inclusive');
  assert.equal(judgeSample(errorRatio, ok(0.2)).verdict, 'breach');
  assert.equal(judgeSample(orders, ok(3)).verdict, 'breach');
  for (const status of ['empty', 'nan', 'non-scalar', 'error'] as const)
    assert.equal(
      judgeSample(errorRatio, { status, value: null, error: 'x' }).verdict,
      'inconclusive',
      status,
    );
  assert.equal(judgeSample(errorRatio, ok(Number.NaN)).verdict, 'inconclusive');
  assert.equal(judgeSample(errorRatio, ok(Number.POSITIVE_INFINITY)).verdict, 'inconclusive');
  assert.equal(
    evaluateAbortThresholds([errorRatio], {})[0]?.verdict,
    'inconclusive',
    'a missing sample is inconclusive',
  );
});

test('aborts as soon as one threshold breaches consecutiveBreaches times in a row', () => {
  const state = newAnalysisState();
  const step = (value: number) =>
    recordEvaluation(state, evaluateAbortThresholds([errorRatio], { errors: ok(value) }), limits);
  assert.equal(step(0.2).action, 'continue');
  assert.equal(step(0.01).action, 'continue', 'a pass resets the run');
  assert.equal(step(0.2).action, 'continue');
  const decision = step(0.3);
  assert.equal(decision.action, 'abort');
  assert.equal(decision.action === 'abort' && decision.cause, 'threshold-breach');
  assert.equal(state.totals.errors?.breach, 3);
});

test('a gap in the data does not clear a breach run (breach, empty, breach aborts)', () => {
  const state = newAnalysisState();
  const empty: Sample = { status: 'error', value: null, error: 'timeout' };
  const step = (sample: Sample) =>
    recordEvaluation(state, evaluateAbortThresholds([errorRatio], { errors: sample }), limits);
  assert.equal(step(ok(0.2)).action, 'continue');
  assert.equal(step(empty).action, 'continue');
  assert.equal(step(ok(0.2)).action, 'abort');
});

test('inconclusive results count toward consecutiveErrorLimit and abort (fail safe)', () => {
  const state = newAnalysisState();
  const empty: Sample = { status: 'empty', value: null, error: 'no series' };
  const step = () =>
    recordEvaluation(
      state,
      evaluateAbortThresholds([errorRatio, orders], { errors: empty, orders: ok(50) }),
      limits,
    );
  assert.equal(step().action, 'continue');
  assert.equal(step().action, 'continue');
  const decision = step();
  assert.deepEqual(decision.action === 'abort' && [decision.cause, decision.threshold], [
    'inconclusive-limit',
    'errors',
  ]);
});
