import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlan, DEFAULT_RAMP, launchIdFor, launchPlanSchema, renderQuery } from '../../domain/plan.js';
import { durationMs, formatDuration } from '../../domain/durations.js';
import { fastPlan } from '../support/plans.js';

const errorsOf = (input: unknown) => {
  const result = checkPlan(input);
  assert.equal(result.ok, false, 'plan should be refused');
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
};

test('a complete plan parses, and defaults follow the task list', () => {
  const { ramp: _ramp, ...withoutRamp } = fastPlan();
  const result = checkPlan({ ...withoutRamp, analysis: { ...withoutRamp.analysis, interval: undefined } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(
    result.plan.ramp.map((s) => s.percent),
    [0, 10, 50, 100],
  );
  assert.deepEqual(result.plan.ramp, DEFAULT_RAMP);
  assert.equal(result.plan.integrations.metrics, 'default');
  assert.equal(result.plan.environments.staging, 'staging');
  assert.equal(launchIdFor(result.plan), 'checkout-2.0.0');
  // Parsing is idempotent: a parsed plan (what workflows receive) parses to itself.
  assert.deepEqual(launchPlanSchema.parse(result.plan), result.plan);
});

test('every bad field is named', () => {
  const errors = errorsOf({
    ...fastPlan(),
    service: 'Not A Slug',
    version: '',
    owners: { readiness: 'rita' },
  });
  assert.ok(
    errors.some((e) => e.startsWith('service:')),
    errors.join('\n'),
  );
  assert.ok(errors.some((e) => e.startsWith('version:')));
  assert.ok(
    errors.some((e) => e.startsWith('owners.lockdown:')),
    'every task has an owner',
  );
  assert.ok(errors.some((e) => e.startsWith('owners.review:')));
});

test('ramp: starts at 0, ends at 100, strictly increases, includes 10 and 50', () => {
  const stage = (percent: number) => ({ percent, observationWindow: '2s' });
  assert.ok(
    errorsOf({ ...fastPlan(), ramp: [stage(10), stage(50), stage(100)] }).some((e) =>
      /ramp\.0\.percent: the ramp starts at 0/.test(e),
    ),
  );
  assert.ok(
    errorsOf({ ...fastPlan(), ramp: [stage(0), stage(10), stage(50)] }).some((e) =>
      /the ramp ends at 100/.test(e),
    ),
  );
  assert.ok(
    errorsOf({ ...fastPlan(), ramp: [stage(0), stage(50), stage(10), stage(100)] }).some((e) =>
      /ramp\.2\.percent: stages must strictly increase/.test(e),
    ),
  );
  assert.ok(
    errorsOf({ ...fastPlan(), ramp: [stage(0), stage(25), stage(100)] }).some((e) =>
      /must include the task list's 10% stage/.test(e),
    ),
  );
  assert.ok(
    checkPlan({ ...fastPlan(), ramp: [stage(0), stage(10), stage(25), stage(50), stage(100)] }).ok,
    'extra stages are fine',
  );
});

test('windows: positive durations, at least one interval, bounded evaluations', () => {
  assert.ok(
    errorsOf({
      ...fastPlan(),
      ramp: [{ percent: 0, observationWindow: '0s' }, ...fastPlan().ramp!.slice(1)],
    }).some((e) => e.startsWith('ramp.0.observationWindow')),
  );
  assert.ok(
    errorsOf({
      ...fastPlan(),
      ramp: [{ percent: 0, observationWindow: '5 minutes' }, ...fastPlan().ramp!.slice(1)],
    }).some((e) => /a duration such as/.test(e)),
  );
  assert.ok(
    errorsOf({
      ...fastPlan(),
      ramp: [{ percent: 0, observationWindow: '500ms' }, ...fastPlan().ramp!.slice(1)],
    }).some((e) => /at least analysis.interval/.test(e)),
  );
  assert.ok(
    errorsOf({
      ...fastPlan(),
      ramp: [{ percent: 0, observationWindow: '2h' }, ...fastPlan().ramp!.slice(1)],
    }).some((e) => /more than 1000 evaluations/.test(e)),
  );
  assert.ok(
    errorsOf({ ...fastPlan(), monitoring: { window: '1s', interval: '5s', onCallSchedule: 'x' } }).some((e) =>
      e.startsWith('monitoring.window'),
    ),
  );
});

test('the freeze must cover the launch window', () => {
  const plan = fastPlan();
  const errors = errorsOf({
    ...plan,
    freezeWindow: { start: plan.launchWindow.start, end: plan.launchWindow.start },
  });
  assert.ok(
    errors.some((e) => e.startsWith('freezeWindow.end')),
    errors.join('\n'),
  );
  const late = new Date(Date.parse(plan.launchWindow.start) + 1000).toISOString();
  assert.ok(
    errorsOf({ ...plan, freezeWindow: { start: late, end: plan.freezeWindow.end } }).some((e) =>
      e.startsWith('freezeWindow.start'),
    ),
  );
  assert.ok(
    errorsOf({ ...plan, launchWindow: { start: plan.launchWindow.end, end: plan.launchWindow.start } }).some(
      (e) => e.startsWith('launchWindow.end'),
    ),
  );
});

test('approver lists are non-empty and thresholds well-formed', () => {
  const plan = fastPlan();
  assert.ok(
    errorsOf({ ...plan, approvals: { ...plan.approvals, goNoGo: [] } }).some((e) =>
      e.startsWith('approvals.goNoGo'),
    ),
  );
  const thresholds = plan.analysis.thresholds;
  const noBounds = { name: 'x', category: 'errors', query: 'up' };
  assert.ok(
    errorsOf({ ...plan, analysis: { ...plan.analysis, thresholds: [...thresholds, noBounds] } }).some((e) =>
      /give min, max or both/.test(e),
    ),
  );
  const inverted = { name: 'y', category: 'errors', query: 'up', min: 2, max: 1 };
  assert.ok(
    errorsOf({ ...plan, analysis: { ...plan.analysis, thresholds: [...thresholds, inverted] } }).some((e) =>
      /min must not exceed max/.test(e),
    ),
  );
  assert.ok(
    errorsOf({ ...plan, analysis: { ...plan.analysis, thresholds: [...thresholds, thresholds[0]] } }).some(
      (e) => /duplicate threshold name/.test(e),
    ),
  );
  assert.ok(
    errorsOf({ ...plan, analysis: { ...plan.analysis, thresholds: thresholds.slice(1) } }).some((e) =>
      /category "errors"/.test(e),
    ),
  );
});

test('plans carry names, never URLs, commands or secrets: unknown fields are refused', () => {
  const errors = errorsOf({
    ...fastPlan(),
    webhookUrl: 'http://169.254.169.254/',
    integrations: { metrics: 'http://evil/' },
  });
  assert.ok(
    errors.some((e) => /webhookUrl|Unrecognized key/.test(e)),
    errors.join('\n'),
  );
  assert.ok(errors.some((e) => e.startsWith('integrations.metrics')));
});

test('durations and query templates', () => {
  assert.equal(durationMs('90s'), 90_000);
  assert.equal(durationMs('2h'), 7_200_000);
  assert.ok(Number.isNaN(durationMs('2 hours')));
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(
    renderQuery('x{service="{{service}}",env="{{environment}}",v="{{version}}"}', {
      service: 's',
      environment: 'e',
      version: '1',
    }),
    'x{service="s",env="e",v="1"}',
  );
});

test('launch and freeze windows may be relative to now; the parsed plan holds absolute times', () => {
  const before = Date.now();
  const result = checkPlan({
    ...fastPlan(),
    launchWindow: { start: 'now', end: 'now+4h' },
    freezeWindow: { start: 'now-5m', end: 'now+1d' },
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const start = Date.parse(result.plan.launchWindow.start);
  assert.ok(start >= before && start <= Date.now());
  assert.equal(Date.parse(result.plan.launchWindow.end) - start, 4 * 3_600_000);
  assert.ok(
    errorsOf({ ...fastPlan(), launchWindow: { start: 'tomorrow', end: 'now+1h' } }).some((e) =>
      e.startsWith('launchWindow.start'),
    ),
  );
});

test('the example plans are valid', async () => {
  const { readFileSync } = await import('node:fs');
  for (const name of ['quickstart.json', 'bad-version.json']) {
    const result = checkPlan(
      JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8')),
    );
    assert.ok(result.ok, `${name}: ${JSON.stringify(!result.ok && result.errors)}`);
  }
});

test('one answer names shape errors and rule errors together', () => {
  const plan = fastPlan();
  const errors = errorsOf({
    ...plan,
    service: undefined,
    ramp: [{ percent: 5, observationWindow: '2s' }, ...plan.ramp!.slice(1)],
  });
  assert.ok(
    errors.some((e) => e.startsWith('service:')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => /ramp\.0\.percent: the ramp starts at 0/.test(e)),
    errors.join('\n'),
  );
  // A malformed field does not produce a second, misleading rule error about itself.
  const malformed = errorsOf({ ...plan, version: 42 });
  assert.deepEqual(malformed.filter((e) => e.startsWith('version')).length, 1, malformed.join('\n'));
});
