/** Replays a finished workflow's history against the current workflow code: any non-determinism throws. */
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/worker.js';

export async function assertReplays(handles: WorkflowHandle[]) {
  const histories = await Promise.all(
    handles.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })),
  );
  const results = Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories);
  for await (const result of results) {
    if (result.error) throw new Error(`replay of ${result.workflowId} failed: ${result.error.message}`);
  }
}
