import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, withConfigReference } from '../../scripts/config-reference.js';

test('the README configuration reference is the one generated from the schema (npm run docs:config)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, withConfigReference(readme));
});

test('the README quick start is the two commands, and CI runs the README test command', () => {
  const readme = readFileSync(README, 'utf8');
  assert.match(readme, /npm start {4}# /);
  assert.match(readme, /npm test {5}# /);
  assert.match(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8'), /^npm test$/m);
});
