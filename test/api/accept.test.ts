/** `Accept` negotiation for the checklist (JSON by default, Markdown when preferred). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferredMediaType } from '../../api/accept.js';

const offers = ['application/json', 'text/markdown'] as const;
const pick = (accept: string | undefined) => preferredMediaType(accept, [...offers]);

test('JSON unless the client prefers Markdown', () => {
  assert.equal(pick(undefined), 'application/json');
  assert.equal(pick(''), 'application/json');
  assert.equal(pick('*/*'), 'application/json');
  assert.equal(pick('text/html'), 'application/json');
  assert.equal(pick('text/markdown'), 'text/markdown');
  assert.equal(pick('text/*'), 'text/markdown');
  assert.equal(pick('text/markdown, */*;q=0.1'), 'text/markdown');
  assert.equal(pick('text/markdown;charset=utf-8'), 'text/markdown');
});

test('q values and specificity decide; ties go to the range listed first', () => {
  assert.equal(pick('text/markdown;q=0.5, application/json'), 'application/json');
  assert.equal(pick('application/json;q=0.2, text/markdown;q=0.9'), 'text/markdown');
  assert.equal(pick('text/markdown, application/json'), 'text/markdown');
  assert.equal(pick('application/json, text/markdown'), 'application/json');
  // The exact range beats the wildcard: text/markdown is refused here.
  assert.equal(pick('text/markdown;q=0, */*'), 'application/json');
  assert.equal(pick('text/markdown;q=0'), 'application/json');
});
