import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CATALOG, catalogItem } from '../../domain/checklist-catalog.js';
import {
  applyItemUpdate,
  checklistSummary,
  renderChecklistMarkdown,
  type ChecklistState,
} from '../../domain/checklist.js';

const TASK_LIST = readFileSync(new URL('../../docs/phase5-tasklist.md', import.meta.url), 'utf8');

test('the catalog has the 60 items of the task list, with unique stable ids and the exact text', () => {
  assert.equal(CATALOG.length, 60);
  assert.equal(new Set(CATALOG.map((i) => i.id)).size, 60);
  const boxes = TASK_LIST.split('\n')
    .filter((l) => l.startsWith('- [ ] '))
    .map((l) => l.slice(6));
  assert.deepEqual(
    CATALOG.map((i) => i.text),
    boxes,
  );
  assert.notEqual(
    catalogItem('5.3.execution.metrics-reviewed-10').id,
    catalogItem('5.3.execution.metrics-reviewed-50').id,
  );
  assert.throws(() => catalogItem('5.9.nope'), /unknown checklist item/);
});

test('with nothing passed the Markdown is the task list, byte for byte', () => {
  assert.equal(renderChecklistMarkdown({}), TASK_LIST);
});

test('all passed renders every box ticked; failed, running and skipped stay unticked', () => {
  const all: ChecklistState = Object.fromEntries(
    CATALOG.map((i) => [i.id, { id: i.id, status: 'passed' as const }]),
  );
  assert.equal(renderChecklistMarkdown(all), TASK_LIST.replaceAll('- [ ]', '- [x]'));
  const some: ChecklistState = {
    '5.1.policy.owners': { id: '5.1.policy.owners', status: 'passed' },
    '5.1.policy.launch-window': { id: '5.1.policy.launch-window', status: 'failed' },
    '5.1.policy.freeze-period': { id: '5.1.policy.freeze-period', status: 'running' },
  };
  const md = renderChecklistMarkdown(some);
  assert.match(md, /- \[x\] Go-live checklist owners defined/);
  assert.match(md, /- \[ \] Launch window defined/);
  assert.match(md, /- \[ \] Freeze period defined/);
  assert.equal(md.split('[x]').length - 1, 1);
});

test('a verdict is final: a late "running" never unticks an item', () => {
  const state: ChecklistState = {};
  applyItemUpdate(state, { id: '5.1.policy.owners', status: 'passed' });
  applyItemUpdate(state, { id: '5.1.policy.owners', status: 'running' });
  assert.equal(state['5.1.policy.owners']?.status, 'passed');
  assert.deepEqual(checklistSummary(state), {
    total: 60,
    pending: 59,
    running: 0,
    passed: 1,
    failed: 0,
    skipped: 0,
  });
});
