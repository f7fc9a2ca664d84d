/** Folding a task's queued reports into the one `taskProgress` signal that carries them to the launch. */
import type { TaskProgress } from './messages.js';

export type ProgressReport = Omit<TaskProgress, 'task'>;

/**
 * The launch applies a merged report exactly as it would apply the reports one by one: items and
 * audit entries keep their order; for what each report replaces (pending approvals, traffic %,
 * next timer, latest analysis) the last one wins; production, once touched, stays touched.
 */
export function mergeTaskProgress(reports: readonly ProgressReport[]): ProgressReport {
  const merged: ProgressReport = {};
  for (const report of reports) {
    if (report.items?.length) merged.items = [...(merged.items ?? []), ...report.items];
    if (report.audit?.length) merged.audit = [...(merged.audit ?? []), ...report.audit];
    if (report.pending !== undefined) merged.pending = report.pending;
    if (report.trafficPercent !== undefined) merged.trafficPercent = report.trafficPercent;
    if (report.productionTouched) merged.productionTouched = true;
    if (report.nextTimer !== undefined) merged.nextTimer = report.nextTimer;
    if (report.lastAnalysis !== undefined) merged.lastAnalysis = report.lastAnalysis;
  }
  return merged;
}
