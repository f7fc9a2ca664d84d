/** Replays a finished workflow's history against the current workflow code: any non-determinism throws. */
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: named exports are not visible to ESM
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

export type History = proto.temporal.api.history.v1.IHistory;
const { History: HistoryMessage } = proto.temporal.api.history.v1;

/**
 * A history as a fixture file: the protobuf JSON of Temporal's `History` message (camelCase
 * fields, enum names, int64 as strings, payload bytes in base64). Written with the proto classes
 * themselves: `historyToJSON`/`historyFromJSON` of @temporalio/common 1.24 fail here ("type must
 * be a Type": its nested protobufjs 8 cannot read the proto package's types).
 */
export function historyToFixture(history: History): string {
  return `${JSON.stringify(HistoryMessage.fromObject(history).toJSON(), null, 1)}\n`;
}

export function historyFromFixture(json: string): History {
  return HistoryMessage.fromObject(JSON.parse(json));
}
