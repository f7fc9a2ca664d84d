/**
 * Saga compensation: each step that changed the world pushes its undo; on abort they run in
 * reverse. An undo retries until it succeeds, alerting the channels while it fails, because
 * traffic must never be left split.
 */
import { sleep } from '@temporalio/workflow';
import type { LaunchPlan } from '../domain/plan.js';
import type { AbortDetails } from './abort.js';
import { undoChanges } from './activity-options.js';
import type { LaunchBook } from './launch-book.js';

/** Long enough that a day-long outage of the router adds only a few thousand history events. */
const MAX_BACKOFF_MS = 5 * 60_000;

type Undo = { step: string; run: () => Promise<void>; onlyIfProductionTouched: boolean };

export class Compensations {
  private readonly stack: Undo[] = [];

  constructor(
    private readonly plan: LaunchPlan,
    private readonly launchId: string,
    private readonly book: LaunchBook,
  ) {}

  push(step: string, run: () => Promise<void>) {
    this.stack.push({ step, run, onlyIfProductionTouched: false });
  }

  /** An undo of a production change, skipped when no task got as far as changing production. */
  pushForProduction(step: string, run: () => Promise<void>) {
    this.stack.push({ step, run, onlyIfProductionTouched: true });
  }

  /** After promotion nothing is undone automatically any more (the freeze is lifted by the caller). */
  clear() {
    this.stack.length = 0;
  }

  async runAll(cause: AbortDetails) {
    while (this.stack.length > 0) {
      const undo = this.stack.pop()!;
      if (undo.onlyIfProductionTouched && !this.book.productionTouched) continue;
      await this.runUntilDone(undo, cause);
    }
  }

  private async runUntilDone(undo: Undo, cause: AbortDetails) {
    for (let attempt = 1; ; attempt++) {
      try {
        await undo.run();
        this.book.status.compensations.push({ step: undo.step, status: 'done', attempts: attempt });
        this.book.record({
          actor: 'launch-control',
          action: 'compensation',
          outcome: 'recorded',
          identity: 'system',
          via: 'workflow',
          detail: { step: undo.step, attempts: attempt, cause: cause.cause },
        });
        return;
      } catch (err) {
        const detail =
          err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        this.book.status.compensations.push({ step: undo.step, status: 'failed', attempts: attempt, detail });
        await undoChanges
          .notify({
            integration: this.plan.integrations.notifier,
            channels: this.plan.notifications.channels,
            message: {
              title: `ROLLBACK STUCK: ${this.plan.service} ${this.plan.version}`,
              text: `"${undo.step}" failed (attempt ${attempt}): ${detail}. Retrying.`,
              launchId: this.launchId,
              severity: 'critical',
            },
          })
          .catch(() => undefined); // alerting is best effort; the undo itself is not
        await sleep(Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
