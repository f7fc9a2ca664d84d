import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mannWhitneyTest, type MannWhitneyTest } from '../../domain/statistics/mann-whitney.js';
import { normalQuantile, normalTails } from '../../domain/statistics/normal.js';

/** R's wilcox.test output for fixed samples: scripts/statistics/wilcox-fixtures.R. */
type Fixture = {
  name: string;
  x: number[];
  y: number[];
  confLevel: number;
  method: string;
  statistic: number;
  pValue: number;
  estimate: number;
  confInt: [number, number];
  achievedConfLevel: number;
  warnings: string[];
};
const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/statistics/wilcox.json', import.meta.url), 'utf8'),
) as { rVersion: string; cases: Fixture[] };

/** Agreement to 1e-6 relative (a value R gives as exactly 0 must be 0 here too, to 1e-300). */
function assertClose(actual: number, expected: number, what: string) {
  const scale = Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * scale || actual === expected,
    `${what}: ${actual} but R (${fixtures.rVersion}) gives ${expected}`,
  );
}

function run(fixture: Fixture): MannWhitneyTest {
  const result = mannWhitneyTest(fixture.x, fixture.y, { confLevel: fixture.confLevel });
  assert.notEqual(result.method, 'insufficient', JSON.stringify(result));
  return result as MannWhitneyTest;
}

test('the fixtures cover the exact and the normal method, small and large samples', () => {
  assert.ok(fixtures.cases.length >= 15);
  assert.ok(fixtures.cases.some((c) => c.method.includes('exact')));
  assert.ok(fixtures.cases.some((c) => c.method.includes('continuity correction')));
  assert.ok(fixtures.cases.some((c) => c.x.length >= 300 && c.y.length >= 300));
});

for (const fixture of fixtures.cases) {
  test(`matches R: ${fixture.name}`, () => {
    const result = run(fixture);
    assert.equal(result.method, fixture.method.includes('exact') ? 'exact' : 'normal');
    assertClose(result.statistic, fixture.statistic, 'W');
    assertClose(result.pValue, fixture.pValue, 'p-value');
    assertClose(result.estimate, fixture.estimate, 'estimate');
    assertClose(result.confInt[0], fixture.confInt[0], 'lower confidence limit');
    assertClose(result.confInt[1], fixture.confInt[1], 'upper confidence limit');
    assertClose(result.confLevel, fixture.achievedConfLevel, 'confidence level');
    assert.deepEqual(
      result.warnings.filter((w) => !w.startsWith('both samples')),
      fixture.warnings,
    );
  });
}

test('the roles of x and y are mirrored: W → n·m − W, estimate and interval negated', () => {
  for (const fixture of fixtures.cases.filter((c) => c.method.includes('exact'))) {
    const forward = run(fixture);
    const backward = run({ ...fixture, x: fixture.y, y: fixture.x });
    assert.equal(backward.statistic, fixture.x.length * fixture.y.length - forward.statistic);
    assertClose(backward.pValue, forward.pValue, `${fixture.name}: p`);
    assertClose(backward.estimate, -forward.estimate, `${fixture.name}: estimate`);
    assertClose(backward.confInt[0], -forward.confInt[1], `${fixture.name}: lower`);
  }
});

test('where R stops with an error, the result says why instead of throwing', () => {
  const insufficient = (x: number[], y: number[]) => {
    const result = mannWhitneyTest(x, y);
    assert.equal(result.method, 'insufficient', JSON.stringify(result));
    return 'reason' in result ? result.reason : '';
  };
  assert.match(insufficient([], [1, 2]), /no values in x/);
  assert.match(insufficient([1, 2], [Number.NaN]), /no values in y/, 'NaN is dropped, as R drops NA');
  assert.match(insufficient([3, 3], [3, 3, 3]), /all 5 values are equal/);
  assert.match(insufficient([1, Number.POSITIVE_INFINITY], [1, 2]), /finite/);
  assert.equal(mannWhitneyTest([1, 2], [3, 4], { confLevel: 1 }).method, 'insufficient');
});

test('both samples constant at different values: the one difference is estimate and interval (R stops)', () => {
  const result = mannWhitneyTest([5, 5, 5, 5], [3, 3, 3]) as MannWhitneyTest;
  assert.equal(result.method, 'normal');
  assert.deepEqual([result.estimate, ...result.confInt], [2, 2, 2]);
  assert.ok(result.pValue < 0.05, String(result.pValue));
});

test('300 × 300 samples with ties run quickly (normal method, R-precision and fine tolRoot)', () => {
  const x = Array.from({ length: 300 }, (_, i) => Math.round(100 + 10 * Math.sin(i * 1.7)) / 10);
  const y = Array.from({ length: 300 }, (_, i) => Math.round(98 + 10 * Math.cos(i * 2.3)) / 10);
  const started = performance.now();
  const coarse = mannWhitneyTest(x, y) as MannWhitneyTest;
  const fine = mannWhitneyTest(x, y, { tolRoot: 1e-9 }) as MannWhitneyTest;
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
  assert.equal(fine.method, 'normal');
  assert.ok(Math.abs(fine.confInt[0] - coarse.confInt[0]) <= 1e-4);
  assert.equal(fine.pValue, coarse.pValue);
});

test('normal tails and quantiles agree with R', () => {
  // R 4.2.2: pnorm(-7.3), pnorm(9.4, lower.tail = FALSE), qnorm(0.025), qnorm(0.0005)
  assertClose(normalTails(-7.3).lower, 1.4388386381575877e-13, 'pnorm(-7.3)');
  assertClose(normalTails(9.4).upper, 2.7281535713461173e-21, 'pnorm(9.4, lower = F)');
  assertClose(normalTails(0.3).lower, 0.61791142218895267, 'pnorm(0.3)');
  assertClose(normalQuantile(0.025), -1.9599639845400538, 'qnorm(0.025)');
  assertClose(normalQuantile(0.0005), -3.2905267314918945, 'qnorm(0.0005)');
  assertClose(normalQuantile(0.95), 1.6448536269514726, 'qnorm(0.95)');
});
