/**
 * One launch per service and production environment at a time, enforced by the engine: a second
 * launch started straight through Temporal (bypassing the API) ends ABORTED at once, before it
 * touches anything, and names the running launch. The lock (`launch-lock/<service>/<env>`) cannot
 * be taken or handed over by a message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { serviceLockWorkflowId } from '../../domain/service-lock.js';
import { launchPlanSchema, type LaunchPlanInput } from '../../domain/plan.js';
import type { LaunchResult } from '../../workflows/launch.js';
import { auditQuery, statusQuery } from '../../workflows/messages.js';
import { fastPlan } from '../support/plans.js';
import {
  assertNoFailedWorkflowTasks,
  eventually,
  startHarness,
  startLaunch,
  type Harness,
} from '../support/temporal.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

const start = (service: string, launchId: string, overrides: Partial<LaunchPlanInput> = {}) =>
  startLaunch(h, service, { launchId, ...overrides });

/** The launch holds its lock and waits for the go/no-go (readiness checks done). */
const awaitingGoNoGo = (handle: WorkflowHandle) =>
  eventually(
    () => handle.query(statusQuery),
    (s) => s.pendingApprovals.some((p) => p.signal === 'goNoGo'),
    `${handle.workflowId} to await its go/no-go`,
  );

/** The workflow's result, or a failed test when it is still running after `ms`. */
async function resultWithin<T = LaunchResult>(handle: WorkflowHandle, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${handle.workflowId} still running after ${ms} ms`)), ms);
  });
  try {
    return (await Promise.race([handle.result(), late])) as T;
  } finally {
    clearTimeout(timer);
  }
}

async function abortAndWait(handle: WorkflowHandle) {
  await handle.signal('abort', { by: 'sre-sam', reason: 'test done' });
  return (await handle.result()) as LaunchResult;
}

/** Every request of the sandbox's router and deployer about `service`. */
const productionCalls = (service: string) =>
  h.world.requests.filter(
    (r) =>
      r.path.startsWith(`/traffic/${service}/`) ||
      r.path.startsWith(`/deployments/${service}/`) ||
      (r.path === '/deploy' && r.body.includes(`"${service}"`)),
  ).length;

const lockOf = (service: string, environment = 'production') =>
  h.env.client.workflow.getHandle(serviceLockWorkflowId(service, environment));

describe('service lock', { concurrency: true }, () => {
  test('a second launch of a running service, started straight through Temporal, ends ABORTED (launch-conflict) at once and never touches production', async () => {
    const service = 'lock-twice';
    const first = await start(service, 'lock-twice-a');
    await awaitingGoNoGo(first);
    const callsBefore = productionCalls(service);

    const second = await start(service, 'lock-twice-b', { version: '2.0.1' });
    const result = await resultWithin(second, 20_000);
    assert.equal(result.phase, 'ABORTED', JSON.stringify(result));
    assert.equal(result.abort?.cause, 'launch-conflict');
    assert.match(result.abort?.detail ?? '', /launch lock-twice-a is running/);
    const status = await second.query(statusQuery);
    assert.equal(status.task, null, 'no task ran');
    assert.equal(status.checklist.passed + status.checklist.running + status.checklist.failed, 0);
    const audit = await second.query(auditQuery);
    const refusal = audit.find((e) => e.action === 'service-lock');
    assert.equal(refusal?.outcome, 'refused');
    assert.equal((refusal?.detail as { holderLaunchId?: string })?.holderLaunchId, 'lock-twice-a');
    assert.equal(
      productionCalls(service),
      callsBefore,
      'the second launch sent nothing to router or deployer',
    );
    assert.equal(h.world.deployments.filter((d) => d.service === service).length, 0);

    // The first launch is untouched: still holding the lock, still waiting for its go/no-go.
    const lock = await lockOf(service).describe();
    assert.equal(lock.status.name, 'RUNNING');
    assert.equal(lock.parentExecution?.workflowId, 'lock-twice-a');
    assert.ok((await first.query(statusQuery)).pendingApprovals.some((p) => p.signal === 'goNoGo'));

    // Once it has ended the lock is free (released before the launch closed), and a new launch runs.
    assert.equal((await abortAndWait(first)).phase, 'ABORTED');
    assert.notEqual((await lockOf(service).describe()).status.name, 'RUNNING');
    const third = await start(service, 'lock-twice-c', { version: '2.0.2' });
    await awaitingGoNoGo(third);
    assert.equal((await lockOf(service).describe()).parentExecution?.workflowId, 'lock-twice-c');
    assert.equal((await abortAndWait(third)).phase, 'ABORTED');
    await assertNoFailedWorkflowTasks(h, ['lock-twice-a', 'lock-twice-b', 'lock-twice-c']);
  });

  test('launches of different services, or of one service in different production environments, run at once', async () => {
    const launches = await Promise.all([
      start('lock-left', 'lock-left-a'),
      start('lock-right', 'lock-right-a'),
      start('lock-left', 'lock-left-eu', {
        version: '2.0.1',
        environments: { production: 'production-eu', staging: 'staging-eu' },
      }),
    ]);
    await Promise.all(launches.map(awaitingGoNoGo));
    assert.equal((await lockOf('lock-left').describe()).parentExecution?.workflowId, 'lock-left-a');
    assert.equal((await lockOf('lock-right').describe()).parentExecution?.workflowId, 'lock-right-a');
    assert.equal(
      (await lockOf('lock-left', 'production-eu').describe()).parentExecution?.workflowId,
      'lock-left-eu',
    );
    for (const result of await Promise.all(launches.map(abortAndWait))) assert.equal(result.phase, 'ABORTED');
  });

  test('a cancel request of the launch (Temporal UI) does not reach the lock: held through the rollback, released at the end', async () => {
    const handle = await start('lock-cancel', 'lock-cancel-a');
    await awaitingGoNoGo(handle);
    const lockRun = (await lockOf('lock-cancel').describe()).runId;
    await handle.cancel();
    const result = await resultWithin(handle, 30_000);
    assert.equal(result.phase, 'ABORTED', JSON.stringify(result));
    const audit = await handle.query(auditQuery);
    assert.deepEqual(
      audit.filter((e) => e.action === 'service-lock'),
      [],
      'the lock was never lost (nor re-taken) while the launch rolled back',
    );
    const lock = await lockOf('lock-cancel').describe();
    assert.equal(lock.runId, lockRun);
    assert.equal(lock.status.name, 'CANCELLED', 'released by the launch itself');
    assert.ok(lock.closeTime! <= (await handle.describe()).closeTime!, 'ended before its launch');
  });

  test('a lock id occupied by another workflow type blocks the service with a message saying so', async () => {
    // A Temporal user can start any workflow type under a lock id (a documented gap): launches of
    // that service are refused, naming the squatter, until someone ends it.
    const squatter = await h.env.client.workflow.start('postLaunchReview', {
      taskQueue: h.taskQueue,
      workflowId: serviceLockWorkflowId('lock-squat', 'production'),
      args: [{ plan: launchPlanSchema.parse(fastPlan({ service: 'lock-squat' })), launchId: 'lock-squat' }],
    });
    const blocked = await start('lock-squat', 'lock-squat-a');
    const result = await resultWithin(blocked, 20_000);
    assert.equal(result.abort?.cause, 'launch-conflict');
    assert.match(result.abort?.detail ?? '', /occupied by a postLaunchReview workflow/);
    await squatter.terminate('test done');
    const next = await start('lock-squat', 'lock-squat-b', { version: '2.0.1' });
    await awaitingGoNoGo(next);
    assert.equal((await abortAndWait(next)).phase, 'ABORTED');
  });

  test('the lock cannot be taken by hand, released by a signal or handed over; a lock lost to a cancel is re-taken and audited', async () => {
    // Started by hand (no launch as its parent) it ends at once and leaves the id free.
    const squatter = await h.env.client.workflow.start('serviceLock', {
      taskQueue: h.taskQueue,
      workflowId: serviceLockWorkflowId('lock-held', 'production'),
      args: [{ launchId: 'mallory-launch' }],
    });
    await assert.rejects(resultWithin(squatter, 10_000), (err: Error & { cause?: Error }) => {
      assert.match(err.cause?.message ?? err.message, /held only by a launch/);
      return true;
    });

    const holder = await start('lock-held', 'lock-held-a');
    await awaitingGoNoGo(holder);
    const lock = lockOf('lock-held');
    const firstRun = (await lock.describe()).runId;
    // Signals (any name) change nothing: the lock has no handler that could release or transfer it.
    for (const name of ['release', 'unlock', 'transfer', '__temporal_release'])
      await lock.signal(name, { launchId: 'mallory-launch' });
    const second = await start('lock-held', 'lock-held-b', { version: '2.0.1' });
    assert.equal((await resultWithin(second, 20_000)).abort?.cause, 'launch-conflict');
    const still = await lock.describe();
    assert.equal(still.status.name, 'RUNNING');
    assert.equal(still.runId, firstRun);
    assert.equal(still.parentExecution?.workflowId, 'lock-held-a');

    // A Temporal user cancelling the lock: the launch notices, audits it and takes the lock again.
    await lock.cancel();
    const audit = await eventually(
      () => holder.query(auditQuery),
      (a) => a.some((e) => e.action === 'service-lock' && e.outcome === 'recorded'),
      'the lost lock audited',
    );
    assert.match(
      audit.find((e) => e.action === 'service-lock' && e.outcome === 'recorded')?.reason ?? '',
      /lost.*re-taken/,
    );
    const retaken = await eventually(
      () => lock.describe(),
      (d) => d.status.name === 'RUNNING' && d.runId !== firstRun,
      'the lock re-taken',
    );
    assert.equal(retaken.parentExecution?.workflowId, 'lock-held-a');
    assert.equal((await abortAndWait(holder)).phase, 'ABORTED');
    assert.notEqual((await lock.describe()).status.name, 'RUNNING');
    await assertNoFailedWorkflowTasks(h, ['lock-held-a', 'lock-held-b']);
  });
});
