/** Rendering API answers for people: tables, the status summary, watch lines, the audit log. */
import type { UnansweredLaunch } from '../api/launch-handles.js';
import type { AuditEntry, LaunchStatus, PendingApproval } from '../domain/launch-state.js';

export type StatusReply = LaunchStatus | UnansweredLaunch;

export type ListItem = {
  launchId: string;
  service: string | null;
  version: string | null;
  phase: string | null;
  trafficPercent: number | null;
  temporalStatus: string;
  startTime: string;
  closeTime: string | null;
};

export type StartReply = {
  launchId: string;
  created: boolean;
  runId: string;
  samePlan?: boolean | null;
  temporalStatus?: string;
  startTime?: string;
  links: Record<string, string>;
};

export const ENDED_PHASES = ['LIVE', 'ABORTED', 'ROLLED_BACK', 'FAILED'] as const;

export function isUnanswered(s: StatusReply): s is UnansweredLaunch {
  return s.phase === 'UNKNOWN';
}

/** True once nothing more will happen to the launch. */
export function hasEnded(s: StatusReply): boolean {
  if (isUnanswered(s)) return s.temporalStatus !== 'RUNNING';
  return (ENDED_PHASES as readonly string[]).includes(s.phase);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, `HH:MM:SS`. */
export function clock(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return String(at);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time, `YYYY-MM-DD HH:MM:SS`. */
export function dateTime(at: string | null | undefined): string {
  if (!at) return '-';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clock(d)}`;
}

/** `in 42s`, `3m 5s ago`. */
export function relative(at: string, now: number = Date.now()): string {
  const ms = Date.parse(at) - now;
  if (Number.isNaN(ms)) return '';
  let s = Math.round(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  const span = parts.slice(0, 2).join(' ');
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** A measured value without float noise (0.08000000000000002 → 0.08). */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatList(items: ListItem[]): string {
  if (items.length === 0) return 'no launches found';
  return table(
    ['LAUNCH', 'SERVICE', 'VERSION', 'PHASE', 'TRAFFIC', 'WORKFLOW', 'STARTED'],
    items.map((i) => [
      i.launchId,
      i.service ?? '-',
      i.version ?? '-',
      i.phase ?? '-',
      i.trafficPercent === null ? '-' : `${i.trafficPercent}%`,
      i.temporalStatus,
      dateTime(i.startTime),
    ]),
  );
}

export function formatStarted(reply: StartReply, absolute: (path: string) => string): string {
  const lines = reply.created
    ? [`created launch ${reply.launchId}`]
    : [
        `launch ${reply.launchId} already exists (${reply.temporalStatus ?? 'unknown'}, started ${dateTime(reply.startTime)}); nothing new was started`,
      ];
  if (reply.samePlan === false)
    lines.push(
      'note: the plan you sent differs from the one this launch runs, and was NOT applied;',
      '      give it another version or "launchId" to start a new launch',
    );
  for (const [name, path] of Object.entries(reply.links))
    lines.push(`  ${`${name}:`.padEnd(11)} ${absolute(path)}`);
  lines.push(`  ${'follow:'.padEnd(11)} launch-control watch ${reply.launchId}`);
  return lines.join('\n');
}

/** Who may answer a pending approval (none listed: decided when it is sent, e.g. the rotation). */
export function approversOf(p: PendingApproval): string {
  return p.approvers.length > 0 ? p.approvers.join(', ') : 'decided at run time';
}

function stageOf(p: PendingApproval): string {
  return p.stage === undefined ? '' : ` (stage ${p.stage}%)`;
}

/** A pending approval with the exact payload it expects and the command that sends it. */
export function formatPending(launchId: string, p: PendingApproval, now = Date.now()): string[] {
  const payload = JSON.stringify(p.expects);
  return [
    `  ${p.signal}${stageOf(p)} for task ${p.task}, until ${clock(p.timeoutAt)} (${relative(p.timeoutAt, now)})`,
    `    who may send it: ${approversOf(p)}`,
    `    expects:         ${payload}`,
    `    send it with:    launch-control signal ${launchId} ${p.signal} --json '${payload.replaceAll("'", "'\\''")}'`,
  ];
}

function analysisValues(s: LaunchStatus): string {
  if (!s.lastAnalysis) return '';
  return s.lastAnalysis.results
    .map((r) => `${r.name}=${num(r.value)}${r.verdict === 'pass' ? '' : ` ${r.verdict.toUpperCase()}`}`)
    .join(' ');
}

function abortLine(s: LaunchStatus): string | null {
  if (!s.abort) return null;
  const by = s.abort.by ? ` by ${s.abort.by}` : '';
  const task = s.abort.task ? ` during task ${s.abort.task}` : '';
  return `${s.abort.cause}${by}${task}: ${s.abort.detail}`;
}

export function formatUnanswered(s: UnansweredLaunch): string {
  return [
    `launch ${s.launchId}: its workflow is ${s.temporalStatus} and does not answer queries`,
    `  started:  ${dateTime(s.startedAt)}`,
    ...(s.closedAt ? [`  closed:   ${dateTime(s.closedAt)}`] : []),
    ...(s.failure ? [`  failure:  ${s.failure}`] : []),
    `  query:    ${s.queryError}`,
  ].join('\n');
}

export function formatStatus(s: StatusReply, now = Date.now()): string {
  if (isUnanswered(s)) return formatUnanswered(s);
  const c = s.checklist;
  const lines = [
    `launch ${s.launchId}: ${s.service} ${s.previousVersion} → ${s.version}`,
    `  phase:     ${s.phase}${s.task ? ` (task ${s.task})` : ''}`,
    `  traffic:   ${s.trafficPercent}% on ${s.version}`,
    `  started:   ${dateTime(s.startedAt)}   updated: ${dateTime(s.updatedAt)}`,
    `  checklist: ${c.passed}/${c.total} passed, ${c.failed} failed, ${c.skipped} skipped, ${c.pending + c.running} open`,
  ];
  if (s.nextTimer)
    lines.push(
      `  next:      ${s.nextTimer.what} at ${clock(s.nextTimer.at)} (${relative(s.nextTimer.at, now)})`,
    );
  if (s.lastAnalysis) {
    lines.push(`  last analysis at ${clock(s.lastAnalysis.at)}:`);
    for (const r of s.lastAnalysis.results)
      lines.push(
        `    ${r.name.padEnd(16)} ${num(r.value).padEnd(8)} ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`,
      );
  }
  if (s.pendingApprovals.length > 0) {
    lines.push('  waiting for:');
    for (const p of s.pendingApprovals) lines.push(...formatPending(s.launchId, p, now));
  } else if (!hasEnded(s)) lines.push('  waiting for: no approval');
  const cause = abortLine(s);
  if (cause) lines.push(`  abort:     ${cause}`);
  for (const step of s.compensations)
    lines.push(
      `  rollback:  ${step.step} ${step.status}${step.attempts > 1 ? ` after ${step.attempts} attempts` : ''}${step.detail ? ` (${step.detail})` : ''}`,
    );
  return lines.join('\n');
}

/** One line of `watch` without its time prefix; a new line is printed when this text changes. */
export function watchLine(s: StatusReply): string {
  if (isUnanswered(s))
    return `workflow ${s.temporalStatus}${s.failure ? `: ${s.failure}` : ''} (does not answer queries)`;
  const parts = [`${s.phase}${s.task ? ` ${s.task}` : ''}`, `traffic ${s.trafficPercent}%`];
  const values = analysisValues(s);
  if (values) parts.push(values);
  if (s.nextTimer) parts.push(`next: ${s.nextTimer.what} at ${clock(s.nextTimer.at)}`);
  for (const p of s.pendingApprovals)
    parts.push(`awaiting ${p.signal}${stageOf(p)} from ${approversOf(p)}: ${JSON.stringify(p.expects)}`);
  const cause = abortLine(s);
  if (cause) parts.push(`cause: ${cause}`);
  return parts.join(' | ');
}

/** The closing words of `watch` (and why it was not LIVE). */
export function endSummary(s: StatusReply): string {
  if (isUnanswered(s))
    return `launch ${s.launchId} ended: workflow ${s.temporalStatus}${s.failure ? ` (${s.failure})` : ''}`;
  if (s.phase === 'LIVE') return `launch ${s.launchId} is LIVE: ${s.version} serves 100% of traffic`;
  const cause = abortLine(s) ?? 'no cause recorded';
  return `launch ${s.launchId} ended ${s.phase} (traffic ${s.trafficPercent}% on ${s.version}): ${cause}`;
}

export function formatAudit(launchId: string, entries: AuditEntry[]): string {
  if (entries.length === 0) return `launch ${launchId}: no audit entries`;
  return table(
    ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'OUTCOME', 'VIA', 'TASK', 'DETAIL'],
    entries.map((e) => [
      String(e.seq),
      dateTime(e.at),
      e.identity === 'claimed' ? `${e.actor} (claimed)` : e.actor,
      e.action,
      e.outcome,
      e.via,
      e.task ?? '-',
      [e.reason, e.detail ? JSON.stringify(e.detail) : undefined].filter(Boolean).join(' '),
    ]),
  );
}
