/**
 * One launch per service and production environment at a time. The lock is a Temporal workflow
 * id: a launch holds it by running the `serviceLock` child under this id, and Temporal refuses a
 * second workflow with a running id. Shared by the engine (which enforces it) and the API (which
 * answers 409 before starting a launch that would be refused).
 */

export const SERVICE_LOCK_WORKFLOW_TYPE = 'serviceLock';

/** Both parts are plan slugs (no `/`), so the id names exactly one service and environment. */
export function serviceLockWorkflowId(service: string, productionEnvironment: string): string {
  return `launch-lock/${service}/${productionEnvironment}`;
}

/** What Temporal says about a lock id, read from the lock workflow and its parent. */
export type ServiceLockState =
  /** No workflow runs under the id. */
  | { state: 'free' }
  /** A running launch holds it. */
  | { state: 'held'; holderLaunchId: string }
  /** Its launch has closed; Temporal is ending the lock with it (parent close policy). */
  | { state: 'releasing'; holderLaunchId: string }
  /** A running workflow that is not a launch's lock occupies the id (started by hand). */
  | { state: 'occupied'; workflowType: string; parentWorkflowId: string | null };

/** The holder, or the squatter, in words: for the 409, the abort detail and the audit log. */
export function describeLockHolder(lock: ServiceLockState, lockWorkflowId: string): string {
  switch (lock.state) {
    case 'free':
      return `nothing holds ${lockWorkflowId}`;
    case 'held':
      return `launch ${lock.holderLaunchId} is running (it holds ${lockWorkflowId})`;
    case 'releasing':
      return `launch ${lock.holderLaunchId} has ended and is releasing ${lockWorkflowId}`;
    case 'occupied':
      return `${lockWorkflowId} is occupied by a ${lock.workflowType} workflow${
        lock.parentWorkflowId ? ` of ${lock.parentWorkflowId}` : ''
      } that is not a launch's lock; a Temporal user must end it`;
  }
}

/** Why a launch may not run now: the 409's message and the `launch-conflict` abort's detail. */
export function conflictMessage(service: string, productionEnvironment: string, holder: string): string {
  return `another launch of ${service} in ${productionEnvironment}: ${holder}`;
}
