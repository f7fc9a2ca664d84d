import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkPlan,
  DEFAULT_RAMP,
  drillEnvironmentProblem,
  launchIdFor,
  launchIdSchema,
  launchPlanSchema,
  renderQuery,
} from '../../domain/plan.js';
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

test('the drill never targets production: environments.staging must differ from environments.production', () => {
  const errors = errorsOf({ ...fastPlan(), environments: { production: 'prod-eu', staging: 'prod-eu' } });
  assert.ok(
    errors.some((e) => /^environments\.staging: must differ from environments\.production/.test(e)),
    errors.join('\n'),
  );
  assert.ok(errorsOf({ ...fastPlan(), environments: { staging: 'production' } }).length > 0, 'the default');
  assert.ok(checkPlan({ ...fastPlan(), environments: { production: 'prod-eu', staging: 'stage-eu' } }).ok);
  // The drill's own guard (it runs before any deploy, whatever reached it) ignores case and spaces.
  assert.match(
    drillEnvironmentProblem({ production: 'production', staging: ' Production ' }) ?? '',
    /is the production environment/,
  );
  assert.equal(drillEnvironmentProblem({ production: 'production', staging: 'staging' }), null);
});

test('every duration is bounded per field; the failure names the field', () => {
  const plan = fastPlan();
  const tooLong: [string, (d: string) => unknown, string][] = [
    ['analysis.interval', (d) => ({ ...plan, analysis: { ...plan.analysis, interval: d } }), '2h'],
    [
      'monitoring.interval',
      (d) => ({ ...plan, monitoring: { ...plan.monitoring, window: '2d', interval: d } }),
      '2h',
    ],
    ['monitoring.window', (d) => ({ ...plan, monitoring: { ...plan.monitoring, window: d } }), '31d'],
    [
      'ramp.1.observationWindow',
      (d) => ({ ...plan, ramp: plan.ramp!.map((s, i) => (i === 1 ? { ...s, observationWindow: d } : s)) }),
      '8d',
    ],
    ['drill.detectionTimeout', (d) => ({ ...plan, drill: { ...plan.drill, detectionTimeout: d } }), '2d'],
    ['drill.recoveryTimeout', (d) => ({ ...plan, drill: { ...plan.drill, recoveryTimeout: d } }), '25h'],
    [
      'readiness.maxBackupAge',
      (d) => ({ ...plan, readiness: { ...plan.readiness, maxBackupAge: d } }),
      '31d',
    ],
    ['approvals.timeout', (d) => ({ ...plan, approvals: { ...plan.approvals, timeout: d } }), '31d'],
    ['review.timeout', (d) => ({ ...plan, review: { ...plan.review, timeout: d } }), '31d'],
  ];
  for (const [field, withDuration, justOver] of tooLong) {
    for (const value of [justOver, '999999999d', '999999999s'])
      assert.ok(
        errorsOf(withDuration(value)).some((e) => e.startsWith(`${field}: at most `)),
        `${field} = ${value}: ${errorsOf(withDuration(value)).join('\n')}`,
      );
  }
  // Intervals are not a busy loop against the metrics backend either.
  assert.ok(
    errorsOf({ ...plan, analysis: { ...plan.analysis, interval: '500ms' } }).some((e) =>
      e.startsWith('analysis.interval: at least 1s'),
    ),
  );
  // The largest values allowed parse.
  const largest = checkPlan({
    ...plan,
    ramp: plan.ramp!.map((s) => ({ ...s, observationWindow: '7d' })),
    analysis: { ...plan.analysis, interval: '1h' },
    approvals: { ...plan.approvals, timeout: '30d' },
    drill: { ...plan.drill, detectionTimeout: '1d', recoveryTimeout: '24h' },
    monitoring: { ...plan.monitoring, window: '30d', interval: '1h' },
    readiness: { ...plan.readiness, maxBackupAge: '30d' },
    review: { ...plan.review, timeout: '30d' },
  });
  assert.ok(largest.ok, JSON.stringify(!largest.ok && largest.errors));
});

test('every time is bounded: never an exception, at most a year ahead, windows of at most a year', () => {
  const plan = fastPlan();
  const day = 86_400_000;
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
  const cases: [unknown, RegExp][] = [
    // Was a RangeError ("Invalid time value") thrown out of parsing: a 500, a stuck workflow task.
    [{ ...plan, launchWindow: { start: 'now', end: 'now+99999999d' } }, /^launchWindow\.end: /],
    [{ ...plan, launchWindow: { start: 'now-999999999d', end: 'now+1h' } }, /^launchWindow\.start: /],
    [{ ...plan, freezeWindow: { start: 'now-5m', end: 'now+366d' } }, /^freezeWindow\.end: at most 365d/],
    [
      { ...plan, freezeWindow: { start: 'now-5m', end: iso(400 * day) } },
      /^freezeWindow\.end: at most a year/,
    ],
    [{ ...plan, freezeWindow: { start: 'now-5m', end: '9999-12-31T23:59:59Z' } }, /^freezeWindow\.end: /],
    [
      { ...plan, freezeWindow: { start: '0001-01-01T00:00:00Z', end: plan.freezeWindow.end } },
      /^freezeWindow\.start: /,
    ],
    [
      { ...plan, freezeWindow: { start: iso(-300 * day), end: iso(100 * day) } },
      /^freezeWindow\.end: the window lasts at most 366d/,
    ],
  ];
  for (const [input, expected] of cases) {
    const errors = errorsOf(input);
    assert.ok(
      errors.some((e) => expected.test(e)),
      `${expected}: ${errors.join('\n')}`,
    );
  }
  const yearAhead = checkPlan({
    ...plan,
    launchWindow: { start: 'now+300d', end: 'now+365d' },
    freezeWindow: { start: 'now+299d', end: iso(365 * day + 3_600_000) },
  });
  assert.ok(yearAhead.ok, JSON.stringify(!yearAhead.ok && yearAhead.errors));
});

test('one launch id shape for the plan, the derived id and the API: the longest derived id fits', () => {
  const service = `s${'e'.repeat(62)}`;
  const version = `1.${'0'.repeat(60)}+b`;
  const result = checkPlan({ ...fastPlan(), service, version, launchId: undefined });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const id = launchIdFor(result.plan);
  assert.equal(id.length, 128);
  assert.ok(launchIdSchema.safeParse(id).success, id);
  assert.ok(checkPlan({ ...fastPlan(), launchId: id }).ok, 'a plan may name that id itself');
  for (const bad of ['x'.repeat(129), 'Upper-Case', '-leading', 'a/b', ''])
    assert.ok(!launchIdSchema.safeParse(bad).success, bad);
});
