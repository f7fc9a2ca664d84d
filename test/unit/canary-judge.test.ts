import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canaryJudgeSchema,
  canaryJudgeVerdict,
  judgeCanaryInterval,
  type CanaryJudgeConfigInput,
  type CanarySamples,
} from '../../domain/canary-judge.js';

const QUERY =
  'histogram_quantile(0.99, rate(http_seconds_bucket{service="{{service}}",slot="{{slot}}"}[1m]))';
/** Fixed "noise" (no randomness): the samples are 100 ± under 1 %. */
const NOISE = [
  0.12, -0.45, 0.33, -0.08, 0.51, -0.29, 0.04, -0.62, 0.27, 0.18, -0.37, 0.44, -0.15, 0.09, -0.53, 0.31,
  -0.02, 0.22, -0.41, 0.06,
];
const around = (centre: number) => NOISE.map((n) => centre + n);
/** The canary's noise in another order, so the two sides are not the same pattern shifted. */
const canaryAround = (centre: number) => [...NOISE].reverse().map((n) => centre + n);
const stable = around(100);

type MetricInput = CanaryJudgeConfigInput['metrics'][number];
function config(metrics: Partial<MetricInput>[], extra: Partial<CanaryJudgeConfigInput> = {}) {
  return canaryJudgeSchema.parse({
    ...extra,
    metrics: metrics.map((m, i) => ({ name: `m${i}`, query: QUERY, ...m })),
  });
}
const judgeOne = (metric: Partial<MetricInput>, samples: CanarySamples) =>
  judgeCanaryInterval(config([metric]), { m0: samples });

test('schema: defaults, and each bad field named', () => {
  const parsed = config([{}]);
  assert.equal(parsed.name, 'canary-judge');
  assert.equal(parsed.confidence, 0.95);
  assert.equal(parsed.step, '1s');
  assert.deepEqual(parsed.scoreThresholds, { pass: 95, marginal: 75 });
  assert.deepEqual(
    { ...parsed.metrics[0], query: undefined },
    {
      name: 'm0',
      query: undefined,
      direction: 'either',
      allowedEffect: 0,
      nanStrategy: 'remove',
      mustHaveData: false,
      critical: false,
      weight: 1,
    },
  );
  const problem = (input: unknown) => {
    const result = canaryJudgeSchema.safeParse(input);
    assert.equal(result.success, false, JSON.stringify(input));
    return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' | ');
  };
  const metric = { name: 'latency', query: QUERY };
  assert.match(
    problem({ metrics: [{ ...metric, query: 'up{version="{{version}}"}' }] }),
    /metrics\.0\.query: must contain \{\{slot\}\}/,
  );
  assert.match(
    problem({ metrics: [{ ...metric, allowedEffect: 0.2, criticalEffect: 0.2 }] }),
    /metrics\.0\.criticalEffect: must be greater than allowedEffect/,
  );
  assert.match(problem({ metrics: [metric, metric] }), /metrics\.1\.name: duplicate metric name "latency"/);
  assert.match(problem({ metrics: [] }), /metrics: define at least one metric/);
  assert.match(
    problem({ metrics: [metric], scoreThresholds: { pass: 70, marginal: 80 } }),
    /scoreThresholds\.marginal: must be at most pass/,
  );
  assert.match(problem({ metrics: [metric], step: '500ms' }), /step: at least 1s/);
  assert.match(problem({ metrics: [metric], step: '10m' }), /step: at most 5m/);
  assert.match(problem({ metrics: [metric], confidence: 0.9999 }), /confidence/);
  assert.match(problem({ metrics: [{ ...metric, weight: 0 }] }), /metrics\.0\.weight/);
  assert.match(problem({ metrics: [{ ...metric, treshold: 1 }] }), /treshold/);
  assert.match(problem({ metrics: [{ ...metric, name: 'P99 Latency' }] }), /metrics\.0\.name/);
});

test('a +10 % shift with small noise is high; +1 % is high too, unless 5 % is allowed', () => {
  const tenPercent = judgeOne({}, { canary: canaryAround(110), stable });
  assert.equal(tenPercent.metrics[0]!.classification, 'high');
  assert.ok(Math.abs(tenPercent.metrics[0]!.effect! - 0.1) < 0.002, String(tenPercent.metrics[0]!.effect));
  const [lo, hi] = tenPercent.metrics[0]!.test!.confInt;
  assert.ok(lo > 9 && hi < 11, `CI of canary − stable: ${lo}..${hi}`);
  assert.equal(tenPercent.classification, 'fail');
  assert.equal(tenPercent.score, 0);
  assert.match(tenPercent.reason, /^m0 high: \+10(\.\d)? % \(CI [\d.]+\.\.[\d.]+\), score 0 < marginal 75$/);

  assert.equal(judgeOne({}, { canary: canaryAround(101), stable }).metrics[0]!.classification, 'high');
  const allowed = judgeOne({ allowedEffect: 0.05 }, { canary: canaryAround(101), stable });
  assert.equal(allowed.metrics[0]!.classification, 'pass');
  assert.equal(allowed.classification, 'pass');
  assert.match(allowed.metrics[0]!.reason, /within allowed ±5 %/);
});

test('no significant difference passes, even with a mean that moved a little by chance', () => {
  const sameValues = judgeOne({}, { canary: [...stable].reverse().slice(0, 15), stable });
  assert.equal(sameValues.metrics[0]!.classification, 'pass');
  assert.ok(sameValues.metrics[0]!.test!.pValue > 0.05);
  assert.notEqual(sameValues.metrics[0]!.effect, 0);
});

test('an interval that reaches 0 is no evidence of a change', () => {
  const touching = judgeOne({}, { canary: [3, 4, 5], stable: [1, 2, 3] }).metrics[0]!;
  assert.equal(touching.test!.confInt[0], 0);
  assert.equal(touching.classification, 'pass');
});

test('direction: only the bad change fails', () => {
  const up = { canary: canaryAround(110), stable };
  const down = { canary: canaryAround(90), stable };
  const cls = (direction: 'increase' | 'decrease' | 'either', samples: CanarySamples) =>
    judgeOne({ direction }, samples).metrics[0]!.classification;
  assert.equal(cls('either', up), 'high');
  assert.equal(cls('increase', up), 'high');
  assert.equal(cls('decrease', up), 'pass');
  assert.equal(cls('either', down), 'low');
  assert.equal(cls('decrease', down), 'low');
  assert.equal(cls('increase', down), 'pass');
  assert.match(judgeOne({ direction: 'decrease' }, up).metrics[0]!.reason, /increase is not bad/);
  const slightlyDown = { canary: canaryAround(99), stable };
  assert.equal(judgeOne({}, slightlyDown).metrics[0]!.classification, 'low');
  assert.equal(judgeOne({ allowedEffect: 0.05 }, slightlyDown).metrics[0]!.classification, 'pass');
});

test('critical: a critical metric or an effect beyond criticalEffect fails the interval whatever the score', () => {
  const samples = {
    m0: { canary: canaryAround(110), stable },
    m1: { canary: canaryAround(100), stable },
  };
  // m1 passes with weight 100: the score is 99 %, above pass.
  const heavyPass = (m0: Partial<MetricInput>) => judgeCanaryInterval(config([m0, { weight: 100 }]), samples);
  const plain = heavyPass({});
  assert.equal(plain.classification, 'pass');
  assert.ok(Math.abs(plain.score! - 10000 / 101) < 1e-9);
  assert.match(plain.reason, /^m0 high: .*, score 99 ≥ pass 95$/);

  const criticalMetric = heavyPass({ critical: true });
  assert.equal(criticalMetric.classification, 'fail');
  assert.equal(criticalMetric.metrics[0]!.critical, true);
  assert.match(criticalMetric.reason, /^critical: m0 high/);

  const beyond = heavyPass({ criticalEffect: 0.05 });
  assert.equal(beyond.classification, 'fail');
  assert.match(beyond.reason, /≥ critical \+5 %/);
  assert.equal(
    heavyPass({ criticalEffect: 0.5 }).classification,
    'pass',
    '+10 % is below a 50 % critical effect',
  );
  assert.equal(
    heavyPass({ criticalEffect: 0.05, allowedEffect: 0.02, direction: 'decrease' }).classification,
    'pass',
    'a critical effect counts only in the bad direction',
  );
  assert.equal(canaryJudgeVerdict(beyond), 'breach');
});

test('NaN strategy: missing samples removed, or replaced by 0', () => {
  const gappy = { canary: [null, Number.NaN, null, ...canaryAround(100).slice(0, 10)], stable };
  const removed = judgeOne({}, gappy).metrics[0]!;
  assert.equal(removed.classification, 'pass');
  assert.equal(removed.canaryCount, 10);
  const replaced = judgeOne({ nanStrategy: 'replace' }, gappy).metrics[0]!;
  assert.equal(replaced.canaryCount, 13);
  assert.ok(replaced.effect! < -0.2, 'three zeros pull the mean down by a fifth…');
  assert.equal(replaced.classification, 'pass', '…but a rank test is not moved by three outliers');
  const halfMissing = { canary: [...canaryAround(100).slice(0, 10), ...Array(10).fill(null)], stable };
  assert.equal(judgeOne({}, halfMissing).metrics[0]!.classification, 'pass');
  assert.equal(judgeOne({ nanStrategy: 'replace' }, halfMissing).metrics[0]!.classification, 'low');
  const infinite = judgeOne({}, { canary: [Infinity, 1, 2, 3], stable: [1, 2, 3] }).metrics[0]!;
  assert.equal(infinite.canaryCount, 3, 'PromQL x/0 (+Inf) is a missing value');
});

test('no data: fewer than 3 samples a side, an error, or a missing metric; counted only with mustHaveData', () => {
  const passing = { canary: canaryAround(100), stable };
  const twoSamples = { canary: [100, 101], stable };
  const cases: [string, CanarySamples | undefined, string][] = [
    ['two samples', twoSamples, 'nodata'],
    ['query error', { error: 'prometheus: 503' }, 'error'],
    ['missing', undefined, 'error'],
    ['malformed', { canary: 'x', stable: [] } as unknown as CanarySamples, 'error'],
  ];
  for (const [what, samples, expected] of cases) {
    const lenient = judgeCanaryInterval(config([{}, {}]), { m0: samples, m1: passing });
    assert.equal(lenient.metrics[0]!.classification, expected, what);
    assert.equal(lenient.score, 100, `${what}: left out of the score`);
    assert.equal(lenient.classification, 'pass', what);
    const strict = judgeCanaryInterval(config([{ mustHaveData: true }, {}]), { m0: samples, m1: passing });
    assert.equal(strict.score, 50, `${what}: counted as failed`);
    assert.equal(strict.classification, 'fail', what);
    assert.equal(strict.metrics[0]!.critical, false, `${what}: no data is not a critical failure`);
  }
  const none = judgeCanaryInterval(config([{}, {}]), { m0: twoSamples, m1: { error: 'timeout' } });
  assert.equal(none.classification, 'nodata');
  assert.equal(none.score, null);
  assert.match(
    none.reason,
    /^no metric had data: m0 no data: 2 canary and 20 stable samples.*; m1 error: timeout$/,
  );
  assert.equal(canaryJudgeVerdict(none), 'inconclusive');
});

test('weights and score thresholds: pass / marginal / fail', () => {
  const samples = {
    m0: { canary: canaryAround(100), stable },
    m1: { canary: canaryAround(110), stable },
  };
  const judge = (weights: [number, number], thresholds?: { pass: number; marginal: number }) =>
    judgeCanaryInterval(
      config(
        weights.map((weight) => ({ weight })),
        thresholds ? { scoreThresholds: thresholds } : {},
      ),
      samples,
    );
  const marginal = judge([3, 1]);
  assert.equal(marginal.score, 75);
  assert.equal(marginal.classification, 'marginal');
  assert.match(marginal.reason, /score 75 < pass 95$/);
  assert.equal(canaryJudgeVerdict(marginal), 'inconclusive');
  assert.equal(judge([1, 1]).score, 50);
  assert.equal(judge([1, 1]).classification, 'fail');
  assert.match(judge([1, 1]).reason, /score 50 < marginal 75$/);
  assert.equal(
    judge([1, 1], { pass: 50, marginal: 25 }).classification,
    'pass',
    'score equal to pass passes',
  );
  assert.equal(
    judge([1, 3], { pass: 50, marginal: 25 }).classification,
    'marginal',
    'score equal to marginal',
  );
  assert.equal(judge([1, 4], { pass: 50, marginal: 25 }).classification, 'fail');
  assert.equal(canaryJudgeVerdict(judge([1, 1], { pass: 50, marginal: 25 })), 'pass');
});

test('stable mean 0 (no errors on stable): any significant rise is beyond every allowance', () => {
  const errors = { canary: [0, 1, 2, 1, 0, 3, 1, 2, 1, 2], stable: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] };
  const judged = judgeOne({ direction: 'increase', allowedEffect: 5, criticalEffect: 50 }, errors);
  assert.equal(judged.metrics[0]!.classification, 'high');
  assert.equal(judged.metrics[0]!.effect, null, 'an unbounded relative change is reported as null');
  assert.equal(judged.metrics[0]!.critical, true);
  assert.match(judged.metrics[0]!.reason, /\+∞ % \(stable mean 0\)/);
  const quiet = judgeOne({}, { canary: [0, 0, 0, 0], stable: [0, 0, 0] });
  assert.deepEqual([quiet.metrics[0]!.classification, quiet.metrics[0]!.effect], ['pass', 0]);
  const negative = judgeOne({}, { canary: [-5.1, -5, -4.9, -5], stable: [-10.1, -10, -9.9, -10] });
  assert.equal(negative.metrics[0]!.classification, 'high', 'from −10 to −5 is an increase');
  assert.ok(Math.abs(negative.metrics[0]!.effect! - 0.5) < 1e-9);
});

test('constant samples: equal is a pass, different is a change', () => {
  assert.equal(judgeOne({}, { canary: [5, 5, 5, 5, 5], stable: [5, 5, 5] }).classification, 'pass');
  const changed = judgeOne({}, { canary: [6, 6, 6, 6, 6], stable: [5, 5, 5, 5, 5] }).metrics[0]!;
  assert.equal(changed.classification, 'high');
  assert.deepEqual(changed.test!.confInt, [1, 1]);
});

test('thousands of samples at a small scale are judged quickly and to the scale of the data', () => {
  const wave = (centre: number, n: number) =>
    Array.from({ length: n }, (_, i) => centre * (1 + 0.01 * Math.sin(i)));
  const started = performance.now();
  const judged = judgeOne(
    { allowedEffect: 0.01 },
    { canary: wave(0.00206, 3600), stable: wave(0.002, 3600) },
  );
  assert.ok(performance.now() - started < 3000, `${performance.now() - started} ms`);
  const metric = judged.metrics[0]!;
  assert.equal(metric.classification, 'high');
  const [lo, hi] = metric.test!.confInt;
  // R's default tolerance (1e-4, absolute) would be bigger than the shift (6e-5) itself.
  assert.ok(lo > 4e-5 && hi < 8e-5, `${lo}..${hi}`);
});

test('a critical metric whose query fails counts as failed, never drops out of the score', () => {
  const judged = judgeCanaryInterval(config([{}, { critical: true }]), {
    m0: { canary: canaryAround(100), stable },
    m1: { error: 'non-scalar: query returned 2 series' },
  });
  assert.equal(judged.score, 50);
  assert.equal(canaryJudgeVerdict(judged), 'breach');
  // Not critical: an unmeasurable metric is left out (as no data), unless mustHaveData.
  const lenient = judgeCanaryInterval(config([{}, {}]), {
    m0: { canary: canaryAround(100), stable },
    m1: { error: 'non-scalar: query returned 2 series' },
  });
  assert.equal(lenient.score, 100);
});
