/**
 * Reads who holds a service's launch lock (`domain/service-lock.ts`) through a Temporal client:
 * the API before it starts a launch (409), and the engine's `readServiceLock` activity when
 * Temporal refused its lock (to name the running launch in the abort).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  SERVICE_LOCK_WORKFLOW_TYPE,
  serviceLockWorkflowId,
  type ServiceLockState,
} from '../domain/service-lock.js';
import { LAUNCH_WORKFLOW_TYPE } from './launch-handles.js';

export async function readServiceLock(
  client: Client,
  service: string,
  productionEnvironment: string,
): Promise<ServiceLockState> {
  const lock = await describeIfAny(client, serviceLockWorkflowId(service, productionEnvironment));
  if (!lock || lock.status.name !== 'RUNNING') return { state: 'free' };
  // The parent is set by Temporal when a workflow starts a child: nobody can write it in a payload.
  const parent = lock.parentExecution;
  const parentWorkflowId = parent?.workflowId ?? null;
  if (lock.type !== SERVICE_LOCK_WORKFLOW_TYPE || !parentWorkflowId)
    return { state: 'occupied', workflowType: lock.type, parentWorkflowId };
  const holder = await describeIfAny(client, parentWorkflowId, parent?.runId ?? undefined);
  if (!holder || holder.type !== LAUNCH_WORKFLOW_TYPE)
    return { state: 'occupied', workflowType: lock.type, parentWorkflowId };
  return holder.status.name === 'RUNNING'
    ? { state: 'held', holderLaunchId: parentWorkflowId }
    : { state: 'releasing', holderLaunchId: parentWorkflowId };
}

async function describeIfAny(client: Client, workflowId: string, runId?: string) {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
