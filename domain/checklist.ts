/**
 * Checklist state and its two renderings: the task list's own Markdown (`[x]` only for passed
 * items) and JSON with evidence. Pure: used by workflows (state), the API and the CLI.
 */
import { CATALOG, COMPLETION, TASKS, catalogItem, type CatalogItem } from './checklist-catalog.js';

export type ItemStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped';

export type Evidence = Record<string, unknown>;

export type ItemState = {
  id: string;
  status: ItemStatus;
  evidence?: Evidence;
  /** Why an item failed or was skipped. */
  reason?: string;
  verifiedAt?: string;
  verifiedBy?: string;
  /**
   * Live state read from the running task, not yet its outcome: shown, never counted as passed
   * (no `[x]`), and replaced by what the task returns or fails with.
   */
  provisional?: true;
};

/** Keyed by item id; only items that left `pending` need to be present. */
export type ChecklistState = Record<string, ItemState>;

/** An update a task workflow reports for one item. */
export type ItemUpdate = Omit<ItemState, 'id'> & { id: string };

export function applyItemUpdate(state: ChecklistState, update: ItemUpdate): void {
  catalogItem(update.id); // unknown ids are a programming error, caught by tests
  const previous = state[update.id];
  // A verdict is final: a later "running" (e.g. after a retry) never unticks a passed item.
  if (
    previous &&
    (previous.status === 'passed' || previous.status === 'failed') &&
    update.status === 'running'
  )
    return;
  state[update.id] = { ...update };
}

export type ChecklistEntry = CatalogItem & ItemState;

export function checklistEntries(state: ChecklistState): ChecklistEntry[] {
  return CATALOG.map((item) => ({
    ...item,
    ...(state[item.id] ?? { id: item.id, status: 'pending' as const }),
  }));
}

export function checklistSummary(state: ChecklistState) {
  const counts: Record<ItemStatus, number> = { pending: 0, running: 0, passed: 0, failed: 0, skipped: 0 };
  for (const entry of checklistEntries(state))
    counts[entry.provisional && entry.status !== 'pending' ? 'running' : entry.status] += 1;
  return { total: CATALOG.length, ...counts };
}

const DOCUMENT_HEAD = [
  '# Task List v2 — Phase 5 (Ultra-Atomic)',
  '## Production Launch, Traffic Enablement & Post-Launch Validation',
  '',
  '**Phase:** 5 of 5  ',
  '**Prerequisites:** Phases 1–4 completed (Gates 1–4 PASSED)  ',
  '**Gate:** 🚦 Gate 5 — Production Go-Live Approval  ',
  '**Tracking Rule:** Check items only after verification passes.',
  '',
  '---',
  '',
];
const DOCUMENT_TAIL = ['🚦 **GATE 5 PASSED — PRODUCTION LIVE**'];

/** The task list's Markdown with `[x]` on passed items; byte-identical to the source when none passed. */
export function renderChecklistMarkdown(state: ChecklistState): string {
  const box = (id: string) => (state[id]?.status === 'passed' && !state[id]?.provisional ? '[x]' : '[ ]');
  const lines = [...DOCUMENT_HEAD];
  for (const task of TASKS) {
    lines.push(`# ${task.title}`, '');
    for (const section of task.sections) {
      lines.push(`## ${section.title}`);
      for (const [key, text] of section.items)
        lines.push(`- ${box(`${task.id}.${section.key}.${key}`)} ${text}`);
      lines.push('');
    }
    lines.push('---', '');
  }
  lines.push(`## ${COMPLETION.title}`, '');
  for (const [key, text] of COMPLETION.items) lines.push(`- ${box(`completion.${key}`)} ${text}`);
  lines.push('', ...DOCUMENT_TAIL);
  return lines.join('\n') + '\n';
}

export function allPassed(state: ChecklistState, ids: string[]): boolean {
  return ids.every((id) => state[id]?.status === 'passed');
}
