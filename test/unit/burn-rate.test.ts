import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sample } from '../../domain/analysis.js';
import {
  burnRateKey,
  burnRateQueries,
  burnRateRuleSchema,
  evaluateBurnRate,
  promqlWindow,
} from '../../domain/burn-rate.js';
import { checkPlan } from '../../domain/plan.js';
import { fastPlan } from '../support/plans.js';

const rule = burnRateRuleSchema.parse({
  name: 'availability-slo',
  errorRatioQuery: 'sum(rate(errors[{{window}}])) / sum(rate(requests[{{window}}]))',
  objective: 0.999,
});
const ok = (value: number): Sample => ({ status: 'ok', value });
/** Error ratios per alert: [long, short] of the 1h/5m pair, then of the 6h/30m pair. */
const ratios = (page: [number, number], ticket: [number, number]) => ({
  [burnRateKey(rule.name, 0, 'long')]: ok(page[0]),
  [burnRateKey(rule.name, 0, 'short')]: ok(page[1]),
  [burnRateKey(rule.name, 1, 'long')]: ok(ticket[0]),
  [burnRateKey(rule.name, 1, 'short')]: ok(ticket[1]),
});

test('the SRE workbook pairs are the defaults: 14.4× over 1 h and 5 m, 6× over 6 h and 30 m', () => {
  assert.deepEqual(rule.alerts, [
    { long: '1h', short: '5m', burnRate: 14.4 },
    { long: '6h', short: '30m', burnRate: 6 },
  ]);
  assert.deepEqual(
    burnRateQueries(rule).map((q) => q.query.match(/\[(\w+)\]/)?.[1]),
    ['3600000ms', '300000ms', '21600000ms', '1800000ms'],
  );
});

test('an alert fires only when both its windows burn faster than its factor', () => {
  // Budget 0.1 %: an error ratio of 2 % burns at 20×.
  const fast = evaluateBurnRate(rule, ratios([0.02, 0.02], [0.001, 0.001]));
  assert.equal(fast.verdict, 'breach');
  assert.match(fast.reason ?? '', /burn 20\.0× over 1h and 20\.0× over 5m > 14\.4×/);
  assert.ok(Math.abs((fast.value ?? 0) - 20) < 1e-9);
  // Burnt a lot over the hour but recovered in the last 5 minutes: no page (the workbook's reset).
  assert.equal(evaluateBurnRate(rule, ratios([0.02, 0.0001], [0.001, 0.001])).verdict, 'pass');
  // A short spike that has not spent enough budget yet.
  assert.equal(evaluateBurnRate(rule, ratios([0.001, 0.5], [0.001, 0.5])).verdict, 'pass');
  // Exactly at the factor is not faster than it.
  assert.equal(evaluateBurnRate(rule, ratios([0.0144, 0.0144], [0.001, 0.001])).verdict, 'pass');
  // The slow-burn pair: 0.7 % over 6 h and 30 m is 7× > 6×.
  assert.equal(evaluateBurnRate(rule, ratios([0.007, 0.007], [0.007, 0.007])).verdict, 'breach');
});

test('a missing ratio is inconclusive unless another alert fires anyway', () => {
  const missing = ratios([0.001, 0.001], [0.001, 0.001]);
  missing[burnRateKey(rule.name, 1, 'short')] = { status: 'empty', value: null, error: 'no series' };
  const judged = evaluateBurnRate(rule, missing);
  assert.equal(judged.verdict, 'inconclusive');
  assert.match(judged.reason ?? '', /alert 1: empty/);
  const firing = ratios([0.05, 0.05], [0.001, 0.001]);
  firing[burnRateKey(rule.name, 1, 'long')] = { status: 'nan', value: null, error: 'NaN' };
  assert.equal(evaluateBurnRate(rule, firing).verdict, 'breach');
  assert.equal(evaluateBurnRate(rule, {}).verdict, 'inconclusive');
});

test('windows scale with the plan, and a plan names bad rules by field', () => {
  assert.equal(promqlWindow('1h', 0.01), '36000ms');
  const scaled = burnRateRuleSchema.parse({ ...rule, windowScale: 0.01 });
  assert.deepEqual(
    burnRateQueries(scaled).map((q) => q.query.match(/\[(\w+)\]/)?.[1]),
    ['36000ms', '3000ms', '216000ms', '18000ms'],
  );
  const plan = fastPlan();
  const withRules = (burnRates: unknown[]) =>
    checkPlan({ ...plan, analysis: { ...plan.analysis, burnRates } });
  assert.equal(withRules([rule]).ok, true);
  const bad = withRules([
    { ...rule, errorRatioQuery: 'sum(rate(errors[5m]))' },
    { ...rule, name: 'error-ratio', objective: 1, alerts: [{ long: '5m', short: '1h', burnRate: 2 }] },
  ]);
  assert.equal(bad.ok, false);
  const paths = bad.ok ? [] : bad.errors.map((e) => `${e.path}: ${e.message}`);
  assert.ok(
    paths.some((p) => p.startsWith('analysis.burnRates.0.errorRatioQuery: must contain {{window}}')),
    paths.join('\n'),
  );
  assert.ok(
    paths.some((p) => p.startsWith('analysis.burnRates.1.objective')),
    paths.join('\n'),
  );
  assert.ok(
    paths.some((p) => p.startsWith('analysis.burnRates.1.alerts.0.short: short must not exceed long')),
    paths.join('\n'),
  );
});

test('rule names are unique across thresholds and burn-rate rules', () => {
  const plan = fastPlan();
  const result = checkPlan({
    ...plan,
    analysis: { ...plan.analysis, burnRates: [{ ...rule, name: 'error-ratio' }] },
  });
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.errors.some((e) => e.path === 'analysis.burnRates.0.name'));
});
