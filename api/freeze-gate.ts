/**
 * The freeze gate CI/CD asks before changing production config. Freezes live in the launch
 * workflows that registered them (durable, audited there); the gate finds them by search
 * attribute and asks each through the `requestConfigChange` update.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { requestConfigChangeUpdate, type ConfigChangeAnswer } from '../workflows/messages.js';

export type FreezeGateAnswer = { allowed: boolean; launches: ConfigChangeAnswer[] };

export function freezeHoldersQuery(service: string): string {
  // `service` is a validated slug, so it cannot break out of the quoted literal.
  return `LaunchService = '${service}' AND LaunchFreezeActive = true AND ExecutionStatus = 'Running'`;
}

export async function submitConfigChange(
  client: Client,
  request: { service: string; by: string; change: string; reason?: string },
): Promise<FreezeGateAnswer> {
  const launches: ConfigChangeAnswer[] = [];
  const { service: _service, ...payload } = request;
  for await (const execution of client.workflow.list({ query: freezeHoldersQuery(request.service) })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    try {
      launches.push(await handle.executeUpdate(requestConfigChangeUpdate, { args: [payload] }));
    } catch (err) {
      // Visibility lags: a launch listed as running may have closed since, and a closed launch holds no freeze.
      if (err instanceof WorkflowNotFoundError) continue;
      throw err;
    }
  }
  return { allowed: launches.every((l) => l.allowed), launches };
}
